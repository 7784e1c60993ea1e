-- flow_utils for flowgate: the flow helpers scripts call after
-- require "flow_utils" (shortFlowLabel comes from lua_utils).
require "lua_utils"

local dns_types = {
  A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9, NULL = 10,
  WKS = 11, PTR = 12, HINFO = 13, MINFO = 14, MX = 15, TXT = 16, AAAA = 28, A6 = 38,
  SPF = 99, AXFR = 252, MAILB = 253, MAILA = 254, ANY = 255, SRV = 33, NAPTR = 35,
  DS = 43, RRSIG = 46, NSEC = 47, DNSKEY = 48, TLSA = 52, HTTPS = 65, SVCB = 64, CAA = 257,
}

-- get_dns_type("AAAA") -> 28 (0 when unknown).
function get_dns_type(name)
  if name == nil then return 0 end
  return dns_types[string.upper(tostring(name))] or 0
end

function dns_type_to_string(id)
  id = tonumber(id)
  for k, v in pairs(dns_types) do
    if v == id then return k end
  end
  return tostring(id)
end

local tls_versions = { [0x300] = "SSLv3", [0x301] = "TLSv1", [0x302] = "TLSv1.1", [0x303] = "TLSv1.2", [0x304] = "TLSv1.3" }

function tlsVersionToString(v)
  return tls_versions[tonumber(v) or 0] or "Unknown"
end
ntop_tls_version_to_string = tlsVersionToString

function getFlowLabel(flow, show_macs, add_hyperlinks)
  return shortFlowLabel(flow)
end

function getFlowKey(flow)
  if flow == nil then return "" end
  return tostring(flow["ntopng.key"] or "") .. "@" .. tostring(flow["hash_entry_id"] or "")
end

return {
  get_dns_type = get_dns_type,
  shortFlowLabel = shortFlowLabel,
}
