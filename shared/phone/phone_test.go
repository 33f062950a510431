package phone

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"13812345678", "13812345678", true},
		{" 138 1234 5678 ", "13812345678", true},
		{"138-1234-5678", "13812345678", true},
		{"+8613812345678", "13812345678", true},
		{"+14255550182", "", false}, // 11 digits after +, but a US number
		{"+1 425 555 0182", "", false},
		{"+86 138 1234 5678", "13812345678", true},
		{"008613812345678", "13812345678", true},
		{"8619912345678", "19912345678", true},
		{"12812345678", "", false},  // no mobile network uses 12
		{"1381234567", "", false},   // 10 digits
		{"138123456789", "", false}, // 12 digits
		{"010-12345678", "", false}, // a landline
		{"1381234567a", "", false},
		{"13812+345678", "", false},
		{"", "", false},
		{"１３８１２３４５６７８", "", false}, // full-width digits are refused, not guessed
	}
	for _, c := range cases {
		got, err := Normalize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestE164(t *testing.T) {
	if got := E164("13812345678"); got != "+8613812345678" {
		t.Fatal(got)
	}
}
