package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/manifest"
)

// TestUncleanPathsAreNotFound: a path that is not in its clean form is not
// redirected to one that is (ServeMux's way); the API answers 404 in JSON.
func TestUncleanPathsAreNotFound(t *testing.T) {
	rt, err := NewRouter([]manifest.Route{{Method: "GET", Path: "/v1/things/{id}", Op: "getThing", Access: manifest.Anyone}},
		Handlers{"getThing": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
		})},
		Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]int{
		"/v1/things/a":      200,
		"//v1/things/a":     404,
		"/v1/./things/a":    404,
		"/v1/things/../x/a": 404,
		"/v1/things/a/":     404,
		"/v1//things/a":     404,
		"/v1/things/a/./":   404,
		"/v1/things/a%2Fb":  200, // one segment, decoded: the handler judges the id
	}
	for p, want := range cases {
		req := httptest.NewRequest("GET", "http://x"+p, nil)
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		var body map[string]any
		if rec.Code != want || json.Unmarshal(rec.Body.Bytes(), &body) != nil || rec.Header().Get("Location") != "" {
			t.Errorf("%s: %d %q (Location %q), want %d in JSON", p, rec.Code, rec.Body.String(), rec.Header().Get("Location"), want)
		}
	}
}

func TestAttachmentNamesTheFileForEveryClient(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"review.csv", `attachment; filename="review.csv"; filename*=UTF-8''review.csv`},
		{"转运名单.xlsx", `attachment; filename="export.xlsx"; filename*=UTF-8''%E8%BD%AC%E8%BF%90%E5%90%8D%E5%8D%95.xlsx`},
		{"第5轮 复盘.csv", `attachment; filename="5 .csv"; filename*=UTF-8''%E7%AC%AC5%E8%BD%AE%20%E5%A4%8D%E7%9B%98.csv`},
		{"a\"b\r\n.csv", `attachment; filename="ab.csv"; filename*=UTF-8''a%22b%0D%0A.csv`},
	} {
		if got := attachment(c.name); got != c.want {
			t.Errorf("attachment(%q) = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestMemberNamesAreCaseSensitive(t *testing.T) {
	type line struct {
		Kind string `json:"kind"`
	}
	type body struct {
		Kind  string         `json:"kind"`
		Lines []line         `json:"lines"`
		Extra map[string]int `json:"extra"`
	}
	for _, c := range []struct{ json, want string }{
		{`{"kind":"receipt","lines":[{"kind":"a"}],"extra":{"Any":1}}`, ""},
		{`{"kind":"receipt","KIND":"issue"}`, "KIND"},
		{`{"Kind":"issue"}`, "Kind"},
		{`{"kind":"x","lines":[{"kind":"a"},{"Kind":"b"}]}`, "lines[1].Kind"},
		{`{"kind":"x","unknown":1}`, "unknown"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.json))
		r.Header.Set("Content-Type", "application/json")
		var in body
		err := DecodeJSON(r, &in)
		field := ""
		if e := apperr.As(err); err != nil && len(e.Fields) > 0 {
			field = e.Fields[0].Field
		}
		if (err == nil) != (c.want == "") || field != c.want {
			t.Errorf("%s: %v (field %q), want %q", c.json, err, field, c.want)
		}
	}
}
