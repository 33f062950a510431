package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDeclarationIsValid(t *testing.T) {
	if err := Validate(Functions); err != nil {
		t.Fatal(err)
	}
}

func TestEveryFunctionHasAMain(t *testing.T) {
	for _, f := range Functions {
		if _, err := os.Stat(filepath.Join("..", "..", "functions", f.Name, "main.go")); err != nil {
			t.Errorf("function %q: %v", f.Name, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := Lookup(e.Name()); err != nil {
			t.Errorf("functions/%s is not declared in the manifest", e.Name())
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	ok := func() Function {
		return Function{Name: "a", MemoryMB: 128, TimeoutSec: 3,
			Routes: []Route{{Method: "GET", Path: "/v1/a", Op: "a"}}}
	}
	cases := []struct {
		name string
		fns  func() []Function
	}{
		{"duplicate function", func() []Function { return []Function{ok(), ok()} }},
		{"duplicate op", func() []Function {
			b := ok()
			b.Name, b.Routes[0].Path = "b", "/v1/b"
			return []Function{ok(), b}
		}},
		{"duplicate pattern", func() []Function {
			b := ok()
			b.Name, b.Routes[0].Op = "b", "b"
			return []Function{ok(), b}
		}},
		{"bad method", func() []Function { f := ok(); f.Routes[0].Method = "FETCH"; return []Function{f} }},
		{"no op", func() []Function { f := ok(); f.Routes[0].Op = ""; return []Function{f} }},
		{"relative path", func() []Function { f := ok(); f.Routes[0].Path = "v1/a"; return []Function{f} }},
		{"no memory", func() []Function { f := ok(); f.MemoryMB = 0; return []Function{f} }},
		{"schedule without expression", func() []Function {
			f := ok()
			f.Triggers = []Trigger{{Kind: Schedule, Name: "tick"}}
			return []Function{f}
		}},
		{"queue without name", func() []Function { f := ok(); f.Triggers = []Trigger{{Kind: Queue}}; return []Function{f} }},
		{"unknown trigger", func() []Function { f := ok(); f.Triggers = []Trigger{{Kind: "cron", Name: "x"}}; return []Function{f} }},
	}
	if err := Validate([]Function{ok()}); err != nil {
		t.Fatalf("the base case must pass: %v", err)
	}
	for _, c := range cases {
		if err := Validate(c.fns()); err == nil {
			t.Errorf("%s: Validate accepted it", c.name)
		}
	}
}

func TestAccessAllows(t *testing.T) {
	cases := []struct {
		a    Access
		role Role
		want bool
	}{
		{Anyone, "", true},
		{SignedIn, RoleResident, true},
		{Only(RoleStaff, RoleAdmin), RoleStaff, true},
		{Only(RoleStaff, RoleAdmin), RoleResident, false},
		{Only(RoleStaff), RoleVolunteer, false},
	}
	for _, c := range cases {
		if got := c.a.Allows(c.role); got != c.want {
			t.Errorf("%+v.Allows(%q) = %v, want %v", c.a, c.role, got, c.want)
		}
	}
}
