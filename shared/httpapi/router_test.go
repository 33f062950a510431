package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

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
