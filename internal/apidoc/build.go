package apidoc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/sheet"
)

// Version of the API the document describes.
const Version = "0.2.0"

func constTrue() *openapi3.Schema {
	s := openapi3.NewBoolSchema()
	s.Enum = []any{true}
	return s
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// Build makes the document from the manifest's routes and ops.
func Build(routes []manifest.Route) (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "Fangxian (防线) API",
			Version: Version,
			Description: "The API a neighbourhood committee's mini-programs call during an epidemic emergency. " +
				"JSON in UTF-8 (send Content-Type: application/json; text/csv for imports); every time answered is RFC 3339 in Beijing time (+08:00). " +
				"Errors are {\"error\":{\"code\",\"message\",\"requestId\",\"fields\"}} with a stable upper-snake code; messages and field reasons are in Simplified Chinese, in English with Accept-Language: en. " +
				"Every answer carries X-Request-Id. Lists page with an opaque cursor. A POST that creates something takes an Idempotency-Key header (8 to 128 of A-Z a-z 0-9 _ . : -): the same key and body again answers the first answer with Idempotent-Replayed: true; the key with another body answers 422.",
			License: &openapi3.License{Name: "Proprietary: the community office that deploys it", URL: "https://github.com/fangxian/fangxian"},
		},
		// The document as served names the server it came from (PORT locally,
		// the API's domain in the cloud); the file itself names none.
		Servers: openapi3.Servers{{URL: "/", Description: "The server this document is served from: http://localhost:8080 under make run"}},
		Components: &openapi3.Components{
			Schemas: components(),
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme()},
			},
			Headers: openapi3.Headers{
				"RequestId":  header("The request's id, also on every log line of it."),
				"RetryAfter": header("Seconds to wait before trying again: truthful."),
				"Replayed":   header("true: the answer of an earlier request with the same Idempotency-Key."),
			},
		},
		Paths: openapi3.NewPaths(),
	}
	doc.Components.Schemas["Error"].Value.Description = "Every error."
	seen := map[string]bool{}
	for _, r := range routes {
		o, ok := ops[r.Op]
		if !ok {
			return nil, fmt.Errorf("apidoc: op %s (%s) is not described: add it to ops", r.Op, r.Pattern())
		}
		seen[r.Op] = true
		item := doc.Paths.Find(r.Path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(r.Path, item)
		}
		item.SetOperation(r.Method, operation(r, o))
	}
	for name := range ops {
		if !seen[name] {
			return nil, fmt.Errorf("apidoc: op %s is described but no route has it", name)
		}
	}
	shareErrors(doc)
	return doc, nil
}

// shareErrors moves each error answer into the components once, named by
// its status and codes, and refers to it from every op that has it: most
// ops answer 401, 405 or 503 alike, and the document stays one read.
func shareErrors(doc *openapi3.T) {
	doc.Components.Responses = openapi3.ResponseBodies{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for status, r := range op.Responses.Map() {
				if len(status) != 3 || status[0] < '4' || r.Value == nil || r.Value.Description == nil {
					continue
				}
				_, codes, _ := strings.Cut(*r.Value.Description, ": ")
				name := "E" + status + "." + strings.ReplaceAll(codes, ", ", ".")
				doc.Components.Responses[name] = &openapi3.ResponseRef{Value: r.Value}
				op.Responses.Set(status, &openapi3.ResponseRef{Ref: "#/components/responses/" + name, Value: r.Value})
			}
		}
	}
}

func header(description string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: description, Schema: S(openapi3.NewStringSchema()),
	}}}
}

func headerRef(name string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + name}
}

// operation is one route's operation: its parameters and body, its success
// answers, and the errors routes of its kind answer.
func operation(r manifest.Route, o op) *openapi3.Operation {
	op := &openapi3.Operation{OperationID: r.Op, Summary: o.summary, Description: o.description, Responses: openapi3.NewResponses()}
	op.Responses.Delete("default")
	op.Tags = []string{tag(r)}
	if !r.Access.Public {
		op.Security = &openapi3.SecurityRequirements{{"bearer": []string{}}}
		roles := "any signed-in user"
		if len(r.Access.Roles) > 0 {
			var names []string
			for _, role := range r.Access.Roles {
				names = append(names, string(role))
			}
			roles = strings.Join(names, ", ")
		}
		op.Description = strings.TrimSpace(op.Description + " Who: " + roles + ".")
	} else {
		op.Security = &openapi3.SecurityRequirements{}
	}
	for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
		schema, desc := id(""), ""
		if m[1] == "secret" && r.Access.PathSecret {
			schema = pattern(`^[A-Za-z0-9_-]{32,128}$`, "The callback secret")
			desc = "The callback secret: the current one or, during a rotation, the previous."
		}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: m[1], In: "path", Required: true, Schema: S(schema), Description: desc,
		}})
	}
	for _, q := range o.query {
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: q.name, In: "query", Required: q.required, Description: q.description, Schema: S(q.schema),
		}})
	}
	idem := r.Idempotent || r.Op == "createBookings"
	if idem {
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: "Idempotency-Key", In: "header",
			Description: "Optional. The same key and body again answer the first answer (Idempotent-Replayed: true); the key with another body, 422. A key is the caller's own and is kept a day.",
			Schema:      S(pattern(`^[A-Za-z0-9_.:-]{8,128}$`, "8 to 128 of A-Z a-z 0-9 _ . : -")),
		}})
	}
	body := o.body != nil || o.csvBody != ""
	if body {
		rb := &openapi3.RequestBody{Required: o.body == nil || !o.optionalBody, Description: o.csvBody, Content: openapi3.Content{}}
		// An op may take both: JSON, or the same as a CSV file.
		if o.body != nil {
			rb.Content["application/json"] = &openapi3.MediaType{Schema: S(o.body)}
		}
		if o.csvBody != "" {
			rb.Content["text/csv"] = &openapi3.MediaType{Schema: S(describe(openapi3.NewStringSchema(), "CSV, UTF-8"))}
			rb.Content[sheet.MediaType] = &openapi3.MediaType{Schema: S(describe(openapi3.NewStringSchema().WithFormat("binary"), "An Excel workbook: its first sheet, read as the CSV."))}
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: rb}
	}

	// Success answers; two with one status are JSON and CSV of the same.
	for _, a := range o.answers {
		resp := op.Responses.Status(a.status)
		if resp == nil {
			desc := a.description
			if desc == "" {
				desc = http.StatusText(a.status)
			}
			resp = &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc, Content: openapi3.Content{},
				Headers: openapi3.Headers{"X-Request-Id": headerRef("RequestId")}}}
			if idem && a.status < 300 {
				resp.Value.Headers["Idempotent-Replayed"] = headerRef("Replayed")
			}
			op.Responses.Set(fmt.Sprint(a.status), resp)
		}
		switch {
		case a.csv:
			resp.Value.Content["text/csv"] = &openapi3.MediaType{Schema: S(describe(openapi3.NewStringSchema(), "UTF-8 with BOM, CRLF: opens in Excel."))}
			resp.Value.Content[sheet.MediaType] = &openapi3.MediaType{Schema: S(describe(openapi3.NewStringSchema().WithFormat("binary"), "With ?format=xlsx: an Excel workbook, every cell text."))}
			resp.Value.Headers["Content-Disposition"] = header("attachment; filename=…")
		case a.media != "":
			resp.Value.Content[a.media] = &openapi3.MediaType{Schema: S(openapi3.NewStringSchema())}
		default:
			resp.Value.Content["application/json"] = &openapi3.MediaType{Schema: a.schema}
		}
	}

	// Errors, by status: those of every route of its kind, then the op's own.
	codes := map[int][]string{
		500: {"INTERNAL"},
		405: {"METHOD_NOT_ALLOWED"},
	}
	if r.Op != "openapi" && r.Op != "apiDocs" && r.Op != "apiDocsScript" {
		codes[503] = append(codes[503], "STORE_UNAVAILABLE")
	}
	if body {
		codes[400] = append(codes[400], "INVALID_JSON", "VALIDATION_FAILED")
		codes[413] = append(codes[413], "BODY_TOO_LARGE")
		codes[415] = append(codes[415], "UNSUPPORTED_MEDIA_TYPE")
	}
	if len(o.query) > 0 || strings.Contains(r.Path, "{") || idem {
		codes[400] = append(codes[400], "VALIDATION_FAILED")
	}
	if !r.Access.Public {
		codes[401] = append(codes[401], "UNAUTHENTICATED", "TOKEN_INVALID")
		codes[403] = append(codes[403], "FORBIDDEN")
		codes[503] = append(codes[503], "SIGNIN_UNAVAILABLE")
	}
	if httpapi.RecordsChanges([]manifest.Route{r}) {
		codes[503] = append(codes[503], "AUDIT_UNAVAILABLE") // the entry could not be written: nothing was done
	}
	if strings.Contains(r.Path, "{") {
		codes[404] = append(codes[404], "NOT_FOUND")
	}
	if idem {
		codes[409] = append(codes[409], "IDEMPOTENCY_IN_PROGRESS")
		codes[422] = append(codes[422], "IDEMPOTENCY_KEY_REUSED")
	}
	for status, cs := range o.codes {
		codes[status] = append(codes[status], cs...)
	}
	var statuses []int
	for status := range codes {
		statuses = append(statuses, status)
	}
	sort.Ints(statuses)
	for _, status := range statuses {
		cs := codes[status]
		slices.Sort(cs)
		cs = slices.Compact(cs)
		desc := http.StatusText(status) + ": " + strings.Join(cs, ", ")
		resp := &openapi3.Response{Description: &desc,
			Headers: openapi3.Headers{"X-Request-Id": headerRef("RequestId")},
			Content: openapi3.Content{"application/json": &openapi3.MediaType{Schema: ref("Error")}}}
		if status == 429 || status == 503 {
			resp.Headers["Retry-After"] = headerRef("RetryAfter")
		}
		op.Responses.Set(fmt.Sprint(status), &openapi3.ResponseRef{Value: resp})
	}
	return op
}

// tag groups operations by the function that serves them.
func tag(r manifest.Route) string {
	for _, f := range manifest.Functions {
		for _, fr := range f.Routes {
			if fr.Op == r.Op {
				return f.Name
			}
		}
	}
	return "other"
}

// JSON is the document as committed: indented, keys sorted.
func JSON(doc *openapi3.T) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
