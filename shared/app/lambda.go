package app

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// Adapters are the AWS SDK clients a function links. A function links only
// those its manifest entry needs (Go runs every linked package's init at
// cold start), so its main names them: the queue for a function that sends
// to the dispatch queue, the SMS provider for one that sends SMS.
type Adapters struct {
	// Queue opens the queue at url.
	Queue func(cfg aws.Config, url string) dispatch.Queue
	// SMS builds the configured provider's sender.
	SMS func(cfg aws.Config, c config.SMS, params secrets.Parameters, log *slog.Logger) (sms.Provider, error)
}

// Main runs the manifest function name in Lambda: it reads and checks the
// configuration, builds the root on the adapters given and serves what s
// picks. A
// configuration with problems, or adapters the function's manifest entry
// needs and main does not link, end the cold start with one error naming
// every problem. It does not return.
func Main(name string, a Adapters, s Serve) {
	log := logging.FromEnv()
	r, fn, err := Open(name, a, os.Getenv, log)
	if err == nil {
		err = s(r, fn)
	}
	exit(log, name, err)
}

// Open builds the root of the manifest function name from getenv, as Main
// does.
func Open(name string, a Adapters, getenv func(string) string, log *slog.Logger) (*Root, manifest.Function, error) {
	fn, err := manifest.Lookup(name)
	if err != nil {
		return nil, fn, err
	}
	cfg, err := config.Load(fn, getenv)
	problems, _ := err.(*config.Problems)
	if err != nil && problems == nil {
		return nil, fn, err
	}
	if problems == nil {
		problems = &config.Problems{Function: name}
	}
	if len(fn.SendsTo) > 0 && a.Queue == nil {
		problems.List = append(problems.List, "functions/"+name+"/main.go links no queue adapter, and the function sends to "+fmt.Sprint(fn.SendsTo))
	}
	if fn.SendsSMS && a.SMS == nil {
		problems.List = append(problems.List, "functions/"+name+"/main.go links no SMS adapter, and the function sends SMS")
	}
	if len(problems.List) > 0 {
		return nil, fn, problems
	}
	slog.SetDefault(log)
	awsCfg := lambdaenv.AWSConfig(cfg.Endpoint != "")
	if cfg.Region != "" {
		awsCfg.Region = cfg.Region
	}
	params := secrets.SSM{Config: awsCfg}
	parts := Parts{Params: params, Log: log, DocsScript: docsScript(cfg.TaskRoot),
		Store: &store.Store{DB: store.NewClient(store.Config{TableName: cfg.Table, Region: cfg.Region, Endpoint: cfg.Endpoint}), Table: cfg.Table}}
	if a.Queue != nil && len(fn.SendsTo) > 0 {
		parts.Queue = a.Queue(awsCfg, cfg.QueueURLs[manifest.DispatchQueue])
	}
	if a.SMS != nil && fn.SendsSMS {
		if parts.SMS, err = a.SMS(awsCfg, cfg.SMS, params, log); err != nil {
			return nil, fn, err
		}
	}
	return New(cfg, parts), fn, nil
}
