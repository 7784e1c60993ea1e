package api

// unavailableWhy says, for each ntop.* function of the reference that
// flowgate does not provide, why: docs/ntop-api.md shows it beside the
// function, and cmd/flowgate's doc test fails when an unavailable function
// has no reason or a reason names a function that now exists.
var unavailableWhy = map[string]string{
	"getAllowedHostPools":                "flowgate users are restricted by networks and interface, not by host pool (ntopng's captive portal)",
	"changeUserHostPool":                 "captive-portal host pools are nEdge's",
	"changeAllowedHostPools":             "flowgate users are restricted by networks and interface, not by host pool",
	"getUserObservationPointId":          "per-user observation points are ntopng Pro's; flowgate restricts users by networks and interface",
	"checkNetworkPolicy":                 "nEdge network policies (flowgate enforces nothing on traffic)",
	"rrd_inc_num_drops":                  "ntopng's RRD writer-queue counter; flowgate's time-series writer counts its own drops (/metrics)",
	"popInternalAlerts":                  "ntopng's C++-to-Lua alert queue; flowgate raises alerts straight into its store",
	"setDomainMask":                      "a packet-DPI setting; flowgate's nDPI fields come from the exporter",
	"addTrustedIssuerDN":                 "a packet-DPI TLS setting; flowgate's nDPI fields come from the exporter",
	"runExtraction":                      "traffic extraction needs a packet recorder (n2disk); flowgate records no traffic",
	"stopExtraction":                     "traffic extraction needs a packet recorder",
	"isExtractionRunning":                "traffic extraction needs a packet recorder",
	"getExtractionStatus":                "traffic extraction needs a packet recorder",
	"runLiveExtraction":                  "traffic extraction needs a packet recorder",
	"broadcastIPSMessage":                "IPS mode (nEdge / nProbe IPS): flowgate does not sit inline",
	"timeToRefreshIPSRules":              "IPS mode: flowgate does not sit inline",
	"askToRefreshIPSRules":               "IPS mode: flowgate does not sit inline",
	"checkSubInterfaceSyntax":            "sub-interfaces are ntopng Pro's; flowgate's interfaces come from -i",
	"checkFilterSyntax":                  "flowgate applies no BPF filters to its interfaces",
	"reloadProfiles":                     "traffic profiles are ntopng Pro's",
	"setHTTPBindAddr":                    "the web server binds from the command line (-w); it is not moved at run time",
	"setHTTPSBindAddr":                   "the web server binds from the command line (-W); it is not moved at run time",
	"setRoutingMode":                     "routing mode is nEdge's",
	"isRoutingMode":                      "routing mode is nEdge's",
	"addLanInterface":                    "LAN/WAN roles are nEdge's",
	"addWanInterface":                    "LAN/WAN roles are nEdge's",
	"refreshDeviceProtocolsPoliciesConf": "device protocol policies are nEdge's",
	"reloadDeviceProtocols":              "device protocol policies are nEdge's",
	"reloadNetworksPolicyConfiguration":  "network policies are nEdge's",
	"setIEC104AllowedTypeIDs":            "IEC 104 inspection needs packets and ntopng's DPI",
	"setModbusAllowedFunctionCodes":      "Modbus inspection needs packets and ntopng's DPI",
	"readModbusDeviceInfo":               "active Modbus queries are not made by a collector",
	"readEthernetIPDeviceInfo":           "active EtherNet/IP queries are not made by a collector",
	"speedtest":                          "measures against internet speed-test servers; flowgate makes no such outbound tests",
	"serviceRestart":                     "process control is the service manager's (systemd); a script cannot restart flowgate",
	"shutdown":                           "process control is the service manager's (SIGTERM); a script cannot stop flowgate",
	"poolsLock":                          "ntopng's Lua/C++ pool lock; flowgate's pool store serialises its own writes",
	"poolsUnlock":                        "ntopng's Lua/C++ pool lock; flowgate's pool store serialises its own writes",
	"enableAssetsLog":                    "the assets inventory is ntopng Pro's",
	"overrideInterface":                  "interfaces come from -i at start (no runtime pcap upload)",
	"registerRuntimeInterface":           "interfaces come from -i at start (no runtime pcap upload)",
	"reloadASNConfiguration":             "ntopng's per-AS settings; flowgate keeps none (AS numbers and names come from the GeoIP files read at start)",
	"reloadServersConfiguration":         "ntopng Pro's DNS/NTP/SMTP server inventory",
	"logRadius":                          "RADIUS accounting is not built",
	"updateRadiusLoginInfo":              "RADIUS login is not built",
	"addBin":                             "behavioural similarity is ntopng Pro's",
	"findSimilarities":                   "behavioural similarity is ntopng Pro's",
	"publish":                            "ntopng's internal message bus between its own processes",
	"rpcCall":                            "ntopng's internal RPC between its own processes",
	"getInfluxDBInternalDBName":          "ntopng Pro's own metrics database; flowgate exports series with --ts-influxdb",
	"setInfluxDBInternalDBName":          "ntopng Pro's own metrics database; flowgate exports series with --ts-influxdb",
	"isInfluxDBInternalAvailable":        "ntopng Pro's own metrics database; flowgate exports series with --ts-influxdb",
	"setInfluxDBInternalAvailable":       "ntopng Pro's own metrics database; flowgate exports series with --ts-influxdb",
	"elasticsearchConnection":            "no Elasticsearch export: alerts reach SIEMs through recipients (syslog, webhooks)",
	"toggleNewDeleteTrace":               "a C++ memory-allocation trace",
	"setMacDeviceType":                   "flowgate keeps no MAC device table (collected flows carry no L2 devices)",
}

// UnavailableWhy returns the reason ntop.<name> is unavailable, "" when
// none is written down.
func UnavailableWhy(name string) string { return unavailableWhy[name] }

// UnavailableReasons lists the functions with a written reason.
func UnavailableReasons() []string {
	out := make([]string, 0, len(unavailableWhy))
	for n := range unavailableWhy {
		out = append(out, n)
	}
	return out
}
