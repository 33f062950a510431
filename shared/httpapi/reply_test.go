package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
)

func TestReplyTo(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	h := httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, v *in) (any, error) {
		if v.Name == "conflict" {
			return nil, apperr.New(apperr.KindConflict, "TAKEN", "已占用", "Taken")
		}
		if v.Name == "broken" {
			return nil, errors.New("disk on fire")
		}
		return map[string]string{"hello": v.Name}, nil
	})
	cases := []struct {
		body       string
		status     int
		wantInBody string
	}{
		{`{"name":"王"}`, 201, `"hello":"王"`},
		{`{"name":"王","extra":1}`, 400, `"extra"`},
		{`{"name":`, 400, "INVALID_JSON"},
		{`null`, 400, "INVALID_JSON"},
		{` [1]`, 400, "INVALID_JSON"},
		{`"王"`, 400, "INVALID_JSON"},
		{`{"name":"conflict"}`, 409, "TAKEN"},
		{`{"name":"broken"}`, 500, "INTERNAL"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("POST", "/x", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.wantInBody) {
			t.Errorf("%s: %d %s, want %d with %s", c.body, rec.Code, rec.Body, c.status, c.wantInBody)
		}
		if strings.Contains(rec.Body.String(), "disk on fire") {
			t.Errorf("%s: the internal cause reached the client", c.body)
		}
	}
}
