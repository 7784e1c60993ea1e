-- rest_utils for flowgate: ntopng's REST answer helpers. The codes
-- (rest_utils.consts.success / .err: http_code, rc, str) come from the Go
-- table the web layer's envelope uses too (flowgate_rest); this file only
-- shapes the answer.
--
-- answer(rc [, payload [, additional [, format]]]) sets the HTTP status and
-- content type through sendHTTPContentTypeHeader (a Lua page's) and prints
-- the envelope {rc, rc_str, rc_str_hr, rsp}; outside a page it only prints.

local json = require("dkjson")
local codes = require("flowgate_rest")

local rest_utils = {}

rest_utils.consts = { success = codes.success, err = codes.err }

-- ntopng 4.x's numeric constants and rc(code, response), kept for the
-- endpoints written against them.
local by_rc = {}
for _, group in pairs({ codes.success, codes.err }) do
  for name, c in pairs(group) do
    rest_utils["consts_" .. name] = c.rc
    if by_rc[c.rc] == nil or name == "ok" then by_rc[c.rc] = c end
  end
end

local function resolve(ret_const)
  if type(ret_const) == "number" then
    return by_rc[ret_const] or { rc = ret_const, str = "INTERNAL_ERROR", str_hr = "Internal error", http_code = 500 }
  end
  if type(ret_const) ~= "table" or ret_const.rc == nil then
    error("rest_utils: the return code must be one of rest_utils.consts", 3)
  end
  return ret_const
end

local function envelope(ret_const, payload, additional)
  local c = resolve(ret_const)
  local rsp = { rc = c.rc, rc_str = c.str, rc_str_hr = c.str_hr or c.str, rsp = payload or {} }
  if type(additional) == "table" then
    for k, v in pairs(additional) do
      if rsp[k] == nil then rsp[k] = v end
    end
  end
  return rsp, c
end

-- rc returns the envelope as JSON text (ntopng's rest_utils.rc).
function rest_utils.rc(ret_const, payload, additional, format)
  local rsp = envelope(ret_const, payload, additional)
  return json.encode(rsp)
end

local function send(ret_const, payload, additional)
  local rsp, c = envelope(ret_const, payload, additional)
  if sendHTTPContentTypeHeader ~= nil then
    sendHTTPContentTypeHeader("application/json", nil, nil, nil, c.http_code)
  end
  print(json.encode(rsp))
end

function rest_utils.answer(ret_const, payload, additional, format)
  send(ret_const, payload, additional)
end

-- extended_answer: the additional fields (datatables' recordsTotal,
-- recordsFiltered, draw, ...) go at the top level beside rsp.
function rest_utils.extended_answer(ret_const, payload, additional, format)
  send(ret_const, payload, additional)
end

-- vanilla_payload_response: the payload as is, without the envelope.
function rest_utils.vanilla_payload_response(ret_const, payload, content_type)
  local c = resolve(ret_const)
  if sendHTTPContentTypeHeader ~= nil then
    sendHTTPContentTypeHeader(content_type or "application/json", nil, nil, nil, c.http_code)
  end
  if type(payload) == "table" then payload = json.encode(payload) end
  print(tostring(payload or ""))
end

return rest_utils
