package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/sms"
)

// rotateCallbackSecret writes a new callback secret, keeping the current one
// beside it (unless -drop-previous) so that callbacks keep arriving while
// the operator registers the new URLs; the functions read the parameter
// again within a minute.
func rotateCallbackSecret(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rotate-callback-secret", flag.ContinueOnError)
	stage := fs.String("stage", "dev", "the stage")
	apiURL := fs.String("api-url", "", "the stack's ApiUrl output, to print the URLs to register")
	dropPrevious := fs.Bool("drop-previous", false, "stop accepting the previous secret at once (for a leaked one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	params, err := newParameters(ctx)
	if err != nil {
		return err
	}
	name := manifest.ParameterPath(*stage, manifest.SMSCallbackSecretParameter)
	current, err := params.Get(ctx, name)
	if err != nil && !errors.Is(err, errNoParameter) {
		return err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	value := secret
	if olds, perr := inbound.ParseSecrets([]byte(current)); perr == nil && !*dropPrevious {
		value += "\n" + olds[0]
	}
	if err := params.Put(ctx, name, value, "Fangxian SMS callback secret: the current one, then the previous", true); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	base := strings.TrimRight(*apiURL, "/")
	if base == "" {
		base = "$ApiUrl"
	}
	fmt.Fprintf(out, "stored a new callback secret in %s; the inbound function takes it within a minute\n", name)
	fmt.Fprintf(out, "register in Tencent Cloud's SMS console (应用管理 → 回调配置):\n  status callback (状态回执): %s/v1/sms/callbacks/%s/receipts\n  reply callback (回复回调):  %s/v1/sms/callbacks/%s/replies\n", base, secret, base, secret)
	if current != "" && !*dropPrevious {
		fmt.Fprintln(out, "the previous secret works until the next rotation (or -drop-previous)")
	}
	return nil
}

// putTencentKey stores Tencent Cloud's API key pair, read from the
// environment the SDK's own tools use, so that it is never typed on a
// command line (and in a shell's history).
func putTencentKey(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("put-tencent-key", flag.ContinueOnError)
	stage := fs.String("stage", "dev", "the stage")
	if err := fs.Parse(args); err != nil {
		return err
	}
	id, key := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
	if id == "" || key == "" {
		return errors.New("set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (a CAM sub-user's key allowed sms:SendSms only)")
	}
	params, err := newParameters(ctx)
	if err != nil {
		return err
	}
	value, _ := json.Marshal(map[string]string{"secretId": id, "secretKey": key})
	name := manifest.ParameterPath(*stage, manifest.TencentSMSSecretParameter)
	if err := params.Put(ctx, name, string(value), "Fangxian: Tencent Cloud SMS API key", true); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	fmt.Fprintf(out, "stored the key of %s… in %s; the sending functions use it within 10 minutes\n", id[:min(len(id), 8)], name)
	return nil
}

// smsTemplates prints the catalogue as a provider registers it: the text
// with numbered variables, each variable's kind and longest value, and the
// parts at the longest.
func smsTemplates(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sms-templates", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON (name, purpose, text, numbered text, variables)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kinds := map[sms.Kind]string{sms.Digits: "digits", sms.Code: "letters and digits", sms.Decimal: "number",
		sms.Clock: "time (11月30日14:30)", sms.Text: "text", sms.MaskedPhone: "masked phone (138****1234)"}
	type variable struct {
		Number int    `json:"number"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Max    int    `json:"maxCharacters"`
	}
	type entry struct {
		Name      string     `json:"name"`
		Purpose   string     `json:"purpose"`
		Text      string     `json:"text"`
		Numbered  string     `json:"numberedText"`
		Variables []variable `json:"variables"`
		MaxParts  int        `json:"maxParts"`
	}
	var all []entry
	for _, t := range sms.Catalogue() {
		e := entry{Name: t.Name, Purpose: t.Purpose, Text: t.Text, Numbered: t.NumberedText(), MaxParts: t.MaxParts, Variables: []variable{}}
		for i, p := range t.Params {
			e.Variables = append(e.Variables, variable{Number: i + 1, Name: p.Name, Kind: kinds[p.Kind], Max: p.Max})
		}
		all = append(all, e)
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(all)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TEMPLATE\tPURPOSE\tPARTS\tTEXT TO REGISTER (the 【signature】 is added in front)")
	for _, e := range all {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", e.Name, e.Purpose, e.MaxParts, e.Numbered)
		for _, v := range e.Variables {
			fmt.Fprintf(w, "\t\t\t  {%d} %s: %s, at most %d characters\n", v.Number, v.Name, v.Kind, v.Max)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nThen deploy with the approved ids: -c smsTemplateIds='{\"signin_code\":\"1234567\",…}'")
	return nil
}
