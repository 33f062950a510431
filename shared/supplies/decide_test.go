package supplies

import (
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/apperr"
)

// What an order asks for is checked before anything is read.
func TestReadOrder(t *testing.T) {
	p := func(v int) *int { return &v }
	lines := func(n int) []OrderLineInput {
		var out []OrderLineInput
		for i := range n {
			out = append(out, OrderLineInput{ItemID: "i" + strings.Repeat("x", i+1), Quantity: 1})
		}
		return out
	}
	cases := []struct {
		name   string
		in     OrderInput
		fields []string // the fields refused; none: accepted
	}{
		{"one line", OrderInput{Lines: []OrderLineInput{{ItemID: "rice", Quantity: 2}}}, nil},
		{"no line", OrderInput{}, []string{"lines"}},
		{"too many lines", OrderInput{Lines: lines(MaxLines + 1)}, []string{"lines"}},
		{"a bad item id", OrderInput{Lines: []OrderLineInput{{ItemID: "../x", Quantity: 1}}}, []string{"lines[0].itemId"}},
		{"no quantity", OrderInput{Lines: []OrderLineInput{{ItemID: "rice"}}}, []string{"lines[0].quantity"}},
		{"an item over two lines counts as one",
			OrderInput{Lines: []OrderLineInput{{ItemID: "rice", Quantity: MaxQuantity}, {ItemID: "rice", Quantity: 1}}},
			[]string{"lines[1].quantity"}},
		{"control characters in the note", OrderInput{Lines: []OrderLineInput{{ItemID: "rice", Quantity: 1}}, Note: "送到\u202e门口"},
			[]string{"note"}},
		{"the price seen is kept", OrderInput{Lines: []OrderLineInput{{ItemID: "rice", Quantity: 1, PriceFen: p(500)}}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := readOrder(c.in)
			if len(c.fields) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(req.items) == 0 || req.quantities[req.items[0]] == 0 {
					t.Fatalf("read %+v", req)
				}
				return
			}
			e := apperr.As(err)
			if e.Code != "VALIDATION_FAILED" {
				t.Fatalf("got %v", err)
			}
			for _, f := range c.fields {
				found := false
				for _, fe := range e.Fields {
					found = found || fe.Field == f
				}
				if !found {
					t.Errorf("%s not refused: %+v", f, e.Fields)
				}
			}
		})
	}
	req, _ := readOrder(OrderInput{Lines: []OrderLineInput{{ItemID: "rice", Quantity: 2}, {ItemID: "oil", Quantity: 1}, {ItemID: "rice", Quantity: 3}}})
	if req.quantities["rice"] != 5 || len(req.items) != 2 || req.items[0] != "rice" {
		t.Errorf("lines of one item: %+v", req)
	}
}
