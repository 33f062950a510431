package httpapi

import "net/http"

// Reply is a route whose answer is what do returns, as JSON with status;
// an error is answered as every error is.
func Reply(status int, do func(r *http.Request) (any, error)) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		out, err := do(r)
		if err != nil {
			return err
		}
		WriteJSON(w, status, out)
		return nil
	})
}

// ReplyTo is Reply for a route with a JSON body: the body is decoded into a
// new In (unknown fields refused, as DecodeJSON does) before do sees it.
func ReplyTo[In any](status int, do func(r *http.Request, in *In) (any, error)) http.Handler {
	return Reply(status, func(r *http.Request) (any, error) {
		in := new(In)
		if err := DecodeJSON(r, in); err != nil {
			return nil, err
		}
		return do(r, in)
	})
}
