// Command operator does the one-off jobs of a deployment, with the operator's
// own AWS credentials (profile, SSO or environment):
//
//	go run ./cmd/operator init-keys -stage prod
//	go run ./cmd/operator bootstrap-admin -table TABLE -street-name 酒泉路街道 -name 郭佳 -phone 13912345678
//
// init-keys creates the token signing key pair in SSM Parameter Store before
// the first `cdk deploy` of a stage; bootstrap-admin creates the first street
// and its admin in a fresh deployment (the admin then adds communities and
// staff through the API) and refuses when an admin exists, unless -force.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: operator init-keys|bootstrap-admin [flags] (-h for the flags)")
	}
	switch args[0] {
	case "init-keys":
		return initKeys(ctx, args[1:], out)
	case "bootstrap-admin":
		return bootstrapAdmin(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func initKeys(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("init-keys", flag.ContinueOnError)
	stage := fs.String("stage", "dev", "the stage the keys are for")
	rotate := fs.Bool("rotate", false, "replace existing keys (signs everyone out)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	client := ssm.NewFromConfig(cfg)
	privatePEM, publicPEM, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	privateName := manifest.ParameterPath(*stage, manifest.JWTPrivateKeyParameter)
	publicName := manifest.ParameterPath(*stage, manifest.JWTPublicKeyParameter)
	// The private key first: a public key without its private key would let
	// the stack deploy with tokens nobody can issue.
	for _, p := range []struct {
		name, value string
		typ         ssmtypes.ParameterType
	}{
		{privateName, string(privatePEM), ssmtypes.ParameterTypeSecureString},
		{publicName, string(publicPEM), ssmtypes.ParameterTypeString},
	} {
		_, err := client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(p.name), Value: aws.String(p.value), Type: p.typ, Overwrite: aws.Bool(*rotate),
			Description: aws.String("Fangxian token signing key (" + *stage + ")"),
		})
		var exists *ssmtypes.ParameterAlreadyExists
		if errors.As(err, &exists) {
			return fmt.Errorf("%s exists already; -rotate replaces the keys and signs everyone out", p.name)
		}
		if err != nil {
			return fmt.Errorf("put %s: %w", p.name, err)
		}
		fmt.Fprintf(out, "created %s (%s)\n", p.name, p.typ)
	}
	return nil
}

func bootstrapAdmin(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bootstrap-admin", flag.ContinueOnError)
	table := fs.String("table", "", "the table (the stack's TableName output)")
	endpoint := fs.String("endpoint", os.Getenv("DYNAMODB_ENDPOINT"), "a DynamoDB Local endpoint instead of AWS")
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
	var db *dynamodb.Client
	if *endpoint != "" {
		db = store.NewClient(store.Config{TableName: *table, Endpoint: *endpoint})
	} else {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		db = dynamodb.NewFromConfig(cfg)
	}
	st := &store.Store{DB: db, Table: *table}
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
