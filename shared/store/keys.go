package store

// Key builders: every partition and sort key is made here, nowhere else, so
// the layout in docs/access-patterns.md is the whole truth.

// keySep joins the parts of a key; ids never contain it.
const keySep = "#"

func key(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, keySep...)
		}
		b = append(b, p...)
	}
	return string(b)
}

// HealthKey is the item the health check reads; it need not exist.
func HealthKey() (pk, sk string) { return key("SYSTEM"), key("HEALTH") }
