package dynamolocal

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestListensOnLoopbackOnly: DynamoDB Local answers anyone who reaches it,
// without credentials, so it must not be reachable from the network.
func TestListensOnLoopbackOnly(t *testing.T) {
	srv, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer srv.Stop()
	u, _ := url.Parse(srv.Endpoint)
	port, _ := strconv.Atoi(u.Port())
	addrs := listening(t, port)
	if len(addrs) == 0 {
		t.Fatalf("nothing listens on port %d", port)
	}
	for _, a := range addrs {
		if !a.IsLoopback() {
			t.Errorf("DynamoDB Local listens on %s:%d", a, port)
		}
	}
	ifaces, _ := net.InterfaceAddrs()
	for _, ia := range ifaces {
		ipnet, ok := ia.(*net.IPNet)
		if !ok || ipnet.IP.IsLoopback() || ipnet.IP.IsLinkLocalUnicast() {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipnet.IP.String(), u.Port()), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("DynamoDB Local answers on %s", ipnet.IP)
		}
	}
}

// listening reads the kernel's table of listening TCP sockets for port.
func listening(t *testing.T, port int) []net.IP {
	t.Helper()
	var out []net.IP
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			host, portHex, ok := strings.Cut(fields[1], ":")
			if !ok || portHex != fmt.Sprintf("%04X", port) {
				continue
			}
			out = append(out, procIP(host))
		}
		f.Close()
	}
	return out
}

// procIP decodes an address of /proc/net/tcp{,6}: 32-bit words in host
// (little-endian) order.
func procIP(h string) net.IP {
	ip := make(net.IP, len(h)/2)
	for i := 0; i < len(ip); i += 4 {
		for j := 0; j < 4; j++ {
			b, _ := strconv.ParseUint(h[(i+3-j)*2:(i+3-j)*2+2], 16, 8)
			ip[i+j] = byte(b)
		}
	}
	return ip
}
