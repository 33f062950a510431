// Command operator does the one-off jobs of a deployment, with the operator's
// own AWS credentials (profile, SSO or environment):
//
//	go run ./cmd/operator init-keys -stage prod -table TABLE
//	go run ./cmd/operator rotate-keys -stage prod -table TABLE
//	go run ./cmd/operator bootstrap-admin -table TABLE -street-name 酒泉路街道 -name 郭佳 -phone 13912345678
//	go run ./cmd/operator rotate-callback-secret -stage prod -api-url https://api.example.cn
//	TENCENTCLOUD_SECRET_ID=… TENCENTCLOUD_SECRET_KEY=… go run ./cmd/operator put-tencent-key -stage prod
//	go run ./cmd/operator sms-templates
//
// init-keys creates the token signing key after the first `cdk deploy` of a
// stage: the private key in SSM Parameter Store (only the auth function reads
// it) and the public key in the table, where every function that checks
// tokens reads it. rotate-keys replaces the signing key without a redeploy
// and without signing anyone out. bootstrap-admin creates the first street
// and its admin in a fresh deployment (the admin then adds communities and
// staff through the API) and refuses when an admin exists, unless -force.
// rotate-callback-secret makes the secret of the SMS callback URLs (the
// previous one keeps working until the next rotation, so the provider's
// console can be updated without losing a callback); put-tencent-key stores
// Tencent Cloud's API key pair for the functions that send; sms-templates
// prints the catalogue as a provider registers it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "operator:", err)
		os.Exit(1)
	}
}

// parameters is the part of SSM Parameter Store the key commands use; tests
// give an in-memory one.
type parameters interface {
	Get(ctx context.Context, name string) (string, error) // errNoParameter when missing
	Put(ctx context.Context, name, value, description string, overwrite bool) error
}

var errNoParameter = errors.New("no such parameter")

// newParameters is SSM with the operator's credentials; tests replace it.
var newParameters = func(ctx context.Context) (parameters, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return ssmParameters{ssm.NewFromConfig(cfg)}, nil
}

type ssmParameters struct{ c *ssm.Client }

func (p ssmParameters) Get(ctx context.Context, name string) (string, error) {
	out, err := p.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return "", errNoParameter
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Parameter.Value), nil
}

func (p ssmParameters) Put(ctx context.Context, name, value, description string, overwrite bool) error {
	_, err := p.c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(overwrite),
		Description: aws.String(description),
	})
	return err
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: operator init-keys|rotate-keys|bootstrap-admin|rotate-callback-secret|put-tencent-key|sms-templates [flags] (-h for the flags)")
	}
	switch args[0] {
	case "init-keys":
		return initKeys(ctx, args[1:], out, false)
	case "rotate-keys":
		return initKeys(ctx, args[1:], out, true)
	case "bootstrap-admin":
		return bootstrapAdmin(ctx, args[1:], out)
	case "rotate-callback-secret":
		return rotateCallbackSecret(ctx, args[1:], out)
	case "put-tencent-key":
		return putTencentKey(ctx, args[1:], out)
	case "sms-templates":
		return smsTemplates(args[1:], out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// tableFlags are the flags that name the table.
func tableFlags(fs *flag.FlagSet) (table, endpoint *string) {
	return fs.String("table", "", "the table (the stack's TableName output)"),
		fs.String("endpoint", os.Getenv("DYNAMODB_ENDPOINT"), "a DynamoDB Local endpoint instead of AWS")
}

func openTable(ctx context.Context, table, endpoint string) (*store.Store, error) {
	if table == "" {
		return nil, errors.New("-table is required (the stack's TableName output)")
	}
	if endpoint != "" {
		return &store.Store{DB: store.NewClient(store.Config{TableName: table, Endpoint: endpoint}), Table: table}, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &store.Store{DB: dynamodb.NewFromConfig(cfg), Table: table}, nil
}

// initKeys creates the first signing key, or with rotate a new one. Order
// matters: the new public key is published before the private key changes,
// so every token the auth function signs can be checked; the previous key
// stays published, so tokens signed before keep working until they expire;
// the one before that (a day old at least, if rotations are a day apart) is
// withdrawn.
func initKeys(ctx context.Context, args []string, out io.Writer, rotate bool) error {
	name := "init-keys"
	if rotate {
		name = "rotate-keys"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	stage := fs.String("stage", "dev", "the stage the keys are for")
	table, endpoint := tableFlags(fs)
	dropPrevious := fs.Bool("drop-previous", false, "rotate-keys: also withdraw the previous key at once (signs everyone out: for a leaked key)")
	switchWait := fs.Duration("switch-wait", 45*time.Second, "rotate-keys -drop-previous: how long warm auth instances get to sign with the new key before the previous one is withdrawn (their token state is read every 30 s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openTable(ctx, *table, *endpoint)
	if err != nil {
		return err
	}
	params, err := newParameters(ctx)
	if err != nil {
		return err
	}
	privateName := manifest.ParameterPath(*stage, manifest.JWTPrivateKeyParameter)
	current, err := params.Get(ctx, privateName)
	switch {
	case err == nil && !rotate:
		return fmt.Errorf("%s exists already: rotate-keys replaces it", privateName)
	case errors.Is(err, errNoParameter) && rotate:
		return fmt.Errorf("%s does not exist: init-keys creates it", privateName)
	case err != nil && !errors.Is(err, errNoParameter):
		return err
	}
	keep := map[string]bool{}
	if rotate && !*dropPrevious {
		prev, err := auth.NewIssuer([]byte(current), "", time.Now)
		if err != nil {
			return fmt.Errorf("the current key in %s: %w", privateName, err)
		}
		keep[prev.PublicKey().ID] = true
	}
	privatePEM, _, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	next, err := auth.NewIssuer(privatePEM, "", time.Now)
	if err != nil {
		return err
	}
	pub := next.PublicKey()
	keep[pub.ID] = true
	if err := st.PublishSigningKey(ctx, pub); err != nil {
		return err
	}
	fmt.Fprintf(out, "published public key %s in table %s\n", pub.ID, *table)
	if err := params.Put(ctx, privateName, string(privatePEM), "Fangxian token signing key", rotate); err != nil {
		return fmt.Errorf("put %s: %w", privateName, err)
	}
	fmt.Fprintf(out, "stored the private key in %s (SecureString); warm auth functions sign with it within 40 s (they see the newer key published)\n", privateName)
	if rotate && *dropPrevious && *switchWait > 0 {
		// Withdrawn before every warm instance switched, the old key would
		// go on signing tokens that no longer work.
		fmt.Fprintf(out, "waiting %s for every warm auth instance to sign with the new key\n", *switchWait)
		select {
		case <-time.After(*switchWait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	state, err := st.TokenState(ctx)
	if err != nil {
		return err
	}
	sort.Slice(state.Keys, func(i, j int) bool { return state.Keys[i].CreatedAt.Before(state.Keys[j].CreatedAt) })
	for _, k := range state.Keys {
		if keep[k.ID] {
			continue
		}
		if err := st.RetireSigningKey(ctx, k.ID); err != nil {
			return err
		}
		fmt.Fprintf(out, "withdrew key %s (published %s): tokens it signed no longer work\n", k.ID, k.CreatedAt.Format(time.RFC3339))
	}
	return nil
}

func bootstrapAdmin(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bootstrap-admin", flag.ContinueOnError)
	table, endpoint := tableFlags(fs)
	streetName := fs.String("street-name", "", "the street (街道) the admin runs")
	name := fs.String("name", "", "the admin's name")
	phoneNumber := fs.String("phone", "", "the admin's mobile number; they sign in with it")
	force := fs.Bool("force", false, "create another first admin even though one exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ph, err := phone.Normalize(*phoneNumber)
	if err != nil || *table == "" || *streetName == "" || *name == "" {
		fs.Usage()
		return errors.New("-table, -street-name, -name and a valid -phone are required")
	}
	st, err := openTable(ctx, *table, *endpoint)
	if err != nil {
		return err
	}
	street := registry.Street{ID: registry.NewID("s"), Name: *streetName}
	admin := registry.Staff{ID: registry.NewID("u"), Name: *name, Phone: ph, CreatedAt: time.Now().UTC()}
	switch err := st.CreateStreetWithAdmin(ctx, street, admin, true, *force); {
	case errors.Is(err, store.ErrAdminExists):
		return errors.New("this deployment has its first admin already; they add others through the API (-force to override)")
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "street %s (%s) created; admin %s signs in with %s\n", street.ID, street.Name, admin.ID, logging.MaskPhone(ph))
	return nil
}
