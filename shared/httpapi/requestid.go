package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

type requestIDKey struct{}

// RequestID is the id of the request being served, "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDOf picks API Gateway's request id when running in Lambda (it is the
// id in API Gateway's own logs), else a well-formed X-Request-Id from the
// client, else a new random one.
func requestIDOf(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	if id := r.Header.Get("X-Request-Id"); wellFormedID(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SourceIP is the address the request came from: API Gateway's
// requestContext.http.sourceIp in Lambda (the client as API Gateway saw it;
// X-Forwarded-For is the client's to write and is not trusted), the peer
// address on a developer machine.
func SourceIP(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.HTTP.SourceIP != "" {
		return gw.HTTP.SourceIP
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func wellFormedID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}
