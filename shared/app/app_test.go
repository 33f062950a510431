package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// built are the services the root builds: nowhere else may make one.
var built = map[string][]string{
	"auth":       {"SignIn", "WeChatSignIn"},
	"audit":      {"Recorder"},
	"booking":    {"Service"},
	"care":       {"Service"},
	"daily":      {"Service"},
	"dispatch":   {"Consumer", "Texter", "Outbox"},
	"help":       {"Service"},
	"inbound":    {"Handler"},
	"notices":    {"Service", "Deliverer"},
	"playbook":   {"Service"},
	"registry":   {"API", "Importer"},
	"reserve":    {"Service"},
	"retention":  {"Service"},
	"smsflow":    {"Flow"},
	"supplies":   {"Service"},
	"volunteers": {"Service"},
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestServicesAreBuiltOnlyHere: outside package app (and tests, which may
// build a service around a fake), no code makes a service of its own, so a
// function, the local runner and the demo cannot be wired differently.
func TestServicesAreBuiltOnlyHere(t *testing.T) {
	root := moduleRoot(t)
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".cache", "node_modules", "cdk.out", "testdata":
				return filepath.SkipDir
			}
			if path == filepath.Join(root, "shared", "app") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		pkgOf := map[string]string{} // local name → package path's last element
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			name := filepath.Base(p)
			if im.Name != nil {
				pkgOf[im.Name.Name] = name
			} else {
				pkgOf[name] = name
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			typ := lit.Type
			own := f.Name.Name
			var pkg, name string
			switch x := typ.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					pkg, name = pkgOf[id.Name], x.Sel.Name
				}
			case *ast.Ident:
				pkg, name = own, x.Name
			}
			for _, n := range built[pkg] {
				if n == name {
					rel, _ := filepath.Rel(root, path)
					found = append(found, rel+": "+pkg+"."+name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s is built outside package app: build it with the root (app.New, app.Local)", f)
	}
}

// TestEveryServiceIsWhole: every service the root builds has every part
// it declares, in every function: no nil field that would quietly turn a
// feature off.
func TestEveryServiceIsWhole(t *testing.T) {
	st := &store.Store{Table: "t"}
	r := app.Local(st, queue.NewLocal(1, 1, time.Millisecond), &sms.Outbox{}, time.Now)
	services := map[string]any{
		"SignIn": r.SignIn(), "WeChat": r.WeChat(), "Verifier": r.Verifier(), "Registry": r.Registry(), "Audit": r.Audit(),
		"Booking": r.Booking(), "Notices": r.Notices(), "Supplies": r.Supplies(), "Help": r.Help(), "Volunteers": r.Volunteers(),
		"Retention": r.Retention(), "Playbook": r.Playbook(), "Flow": r.Flow(), "Inbound": r.Inbound(), "Texter": r.Texter(),
		"Consumer": r.Consumer(),
	}
	// Off by configuration, not by wiring: WeChat sign-in without an app id.
	optional := map[string]bool{"WeChat.WeChat": true}
	for name, svc := range services {
		v := reflect.ValueOf(svc).Elem()
		for i := 0; i < v.NumField(); i++ {
			f, field := v.Field(i), v.Type().Field(i)
			if !field.IsExported() || optional[name+"."+field.Name] {
				continue
			}
			switch f.Kind() {
			case reflect.Interface, reflect.Pointer, reflect.Func, reflect.Map:
				if f.IsNil() {
					t.Errorf("%s.%s is nil", name, field.Name)
				}
			}
		}
	}
	for kind := range map[string]bool{"fanout": true, "send": true, "fever": true, "reminder": true, "texts": true, "inbound": true} {
		if r.Consumer().Handlers[kind] == nil {
			t.Errorf("the consumer has no handler of %q messages", kind)
		}
	}
}

// TestEveryFunctionServesItsRoutes: the root gives each HTTP function of
// the manifest a handler for every one of its routes, and nothing else.
func TestEveryFunctionServesItsRoutes(t *testing.T) {
	r := app.Local(&store.Store{Table: "t"}, queue.NewLocal(1, 1, time.Millisecond), &sms.Outbox{}, time.Now)
	for _, fn := range manifest.Functions {
		if len(fn.Routes) == 0 {
			continue
		}
		f := app.Functions()[fn.Name]
		if f.HTTP == nil {
			t.Errorf("%s serves no HTTP handlers", fn.Name)
			continue
		}
		hs := f.HTTP(r)
		for _, route := range fn.Routes {
			if hs[route.Op] == nil {
				t.Errorf("%s: no handler of %s (%s)", fn.Name, route.Op, route.Pattern())
			}
			delete(hs, route.Op)
		}
		for op := range hs {
			t.Errorf("%s: a handler of %s, which is not its route", fn.Name, op)
		}
	}
}

// TestMainsOnlyPick: each functions/<name>/main.go is a few lines over the
// root.
func TestMainsOnlyPick(t *testing.T) {
	root := moduleRoot(t)
	for _, fn := range manifest.Functions {
		b, err := os.ReadFile(filepath.Join(root, "functions", fn.Name, "main.go"))
		if err != nil {
			t.Errorf("%s: %v", fn.Name, err)
			continue
		}
		code := 0
		for _, line := range strings.Split(string(b), "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "//") {
				code++
			}
		}
		if !strings.Contains(string(b), `app.Main("`+fn.Name+`"`) || code > 10 {
			t.Errorf("functions/%s/main.go: %d lines of code; it should only call app.Main(%q, …)", fn.Name, code, fn.Name)
		}
		// It picks what Functions says the function serves.
		f := app.Functions()[fn.Name]
		var picked any = f.HTTP
		if f.HTTP == nil {
			picked = f.Event
		}
		name := runtime.FuncForPC(reflect.ValueOf(picked).Pointer()).Name()
		method := name[strings.LastIndex(name, ".")+1:]
		if !strings.Contains(string(b), "(*app.Root)."+method+")") {
			t.Errorf("functions/%s/main.go does not pick (*app.Root).%s, what Functions says it serves", fn.Name, method)
		}
		for _, sdk := range []struct {
			adapter string
			needed  bool
		}{{"Queue: queue.Open", len(fn.SendsTo) > 0}, {"SMS: provider.Open", fn.SendsSMS}} {
			if strings.Contains(string(b), sdk.adapter) != sdk.needed {
				t.Errorf("functions/%s/main.go: %s linked = %v, but the manifest says %v", fn.Name, sdk.adapter, !sdk.needed, sdk.needed)
			}
		}
	}
}
