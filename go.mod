module flowgate

go 1.26.8

require (
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/gopacket/gopacket v1.7.7
	github.com/gosnmp/gosnmp v1.47.0
	github.com/leodido/go-syslog/v4 v4.3.0
	github.com/maxmind/mmdbwriter v1.0.0
	github.com/oschwald/maxminddb-golang v1.13.1
	github.com/yuin/gopher-lua v1.1.1
	golang.org/x/crypto v0.58.0
)

require (
	github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
	go4.org/netipx v0.0.0-20220812043211-3cc044ffd68d // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
