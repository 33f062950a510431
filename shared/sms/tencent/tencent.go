// Package tencent sends catalogue messages through Tencent Cloud SMS (短信,
// API version 2021-01-11), the mainland provider for deployments in the AWS
// China regions, where AWS offers no SMS. It calls SendSms through the
// official SDK's common client, which signs the request (TC3-HMAC-SHA256);
// one call takes up to 200 phones.
package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/sms"
)

// MaxBatch is the most phones one SendSms call takes.
const MaxBatch = 200

// APIVersion is the SMS API version the adapter speaks.
const APIVersion = "2021-01-11"

// Config is one SMS application of a Tencent Cloud account.
type Config struct {
	// AppID is the SMS application's SdkAppId, e.g. "1400006666".
	AppID string
	// Region is the API region, e.g. "ap-guangzhou" (the default).
	Region string
	// Signature is the registered 签名, without 【】.
	Signature string
	// TemplateIDs map catalogue template names to approved template ids.
	TemplateIDs map[string]string
	// Endpoint and Scheme override sms.tencentcloudapi.com over HTTPS (tests).
	Endpoint string
	Scheme   string
	// Timeout bounds one call (default 10 s).
	Timeout time.Duration
	// Credentials returns the API key pair; it is called on the first send
	// and again after a while, so that a rotated key is picked up.
	Credentials func(ctx context.Context) (secretID, secretKey string, err error)
}

// Sender sends through one SMS application.
type Sender struct {
	cfg Config

	mu       sync.Mutex
	client   *common.Client
	loadedAt time.Time
}

// credentialTTL is how long a key pair is used before it is read again.
const credentialTTL = 10 * time.Minute

// New checks the configuration and makes a sender. A template without an id
// is reported by MissingTemplates, not refused here: the other messages can
// still go out.
func New(cfg Config) (*Sender, error) {
	if cfg.AppID == "" || cfg.Credentials == nil {
		return nil, errors.New("tencent: an SMS application id and credentials are required")
	}
	if err := sms.CheckSignature(cfg.Signature); err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "ap-guangzhou"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Sender{cfg: cfg}, nil
}

// MissingTemplates names the catalogue's templates that have no id here.
func (s *Sender) MissingTemplates() []string { return sms.MissingTemplateIDs(s.cfg.TemplateIDs) }

// MaxBatch is how many phones SendBatch takes at once.
func (s *Sender) MaxBatch() int { return MaxBatch }

// Send sends one message.
func (s *Sender) Send(ctx context.Context, to string, m sms.Message) error {
	res, err := s.SendBatch(ctx, []string{to}, m)
	if err != nil {
		return err
	}
	return res[0].Err
}

// ErrNoTemplateID is a catalogue template that the configuration gives no
// approved id for: it cannot be sent until the operator adds one.
var ErrNoTemplateID = errors.New("tencent: no template id configured")

type sendStatus struct {
	SerialNo    string `json:"SerialNo"`
	PhoneNumber string `json:"PhoneNumber"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

// SendBatch sends m to up to MaxBatch phones in one call. An error means the
// call as a whole failed and nothing was sent; otherwise each phone has its
// result: the SerialNo that delivery receipts name, or why the provider
// refused that phone.
func (s *Sender) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	if m.IsZero() {
		return nil, errors.New("tencent: not a catalogue message")
	}
	if len(to) == 0 || len(to) > MaxBatch {
		return nil, fmt.Errorf("tencent: %d phones in one call, 1 to %d", len(to), MaxBatch)
	}
	id := s.cfg.TemplateIDs[m.Template().Name]
	if id == "" {
		return nil, fmt.Errorf("%w for %s", ErrNoTemplateID, m.Template().Name)
	}
	client, err := s.clientFor(ctx)
	if err != nil {
		return nil, err
	}
	numbers := make([]string, len(to))
	for i, p := range to {
		numbers[i] = phone.E164(p)
	}
	req := tchttp.NewCommonRequest("sms", APIVersion, "SendSms")
	req.SetContext(ctx)
	if err := req.SetActionParameters(map[string]any{
		"PhoneNumberSet":   numbers,
		"SmsSdkAppId":      s.cfg.AppID,
		"SignName":         strings.Trim(s.cfg.Signature, "【】 "),
		"TemplateId":       id,
		"TemplateParamSet": m.Values(),
	}); err != nil {
		return nil, err
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		var sdkErr *tcerr.TencentCloudSDKError
		if errors.As(err, &sdkErr) && strings.HasPrefix(sdkErr.GetCode(), "AuthFailure") {
			s.forget() // a rotated key: read it again next time
		}
		return nil, fmt.Errorf("tencent: SendSms: %w", err)
	}
	var body struct {
		Response struct {
			SendStatusSet []sendStatus `json:"SendStatusSet"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
		return nil, fmt.Errorf("tencent: SendSms answer: %w", err)
	}
	byNumber := map[string]sendStatus{}
	for _, st := range body.Response.SendStatusSet {
		byNumber[st.PhoneNumber] = st
	}
	out := make([]sms.Result, len(to))
	for i, p := range to {
		st, ok := byNumber[numbers[i]]
		switch {
		case !ok:
			out[i] = sms.Result{To: p, Err: errors.New("tencent: no status for this phone")}
		case st.Code != "Ok":
			out[i] = sms.Result{To: p, Err: fmt.Errorf("tencent: %s: %s", st.Code, st.Message)}
		default:
			out[i] = sms.Result{To: p, ID: st.SerialNo}
		}
	}
	return out, nil
}

// clientFor returns the signing client, reading the key pair when it has
// none or has used it for a while.
func (s *Sender) clientFor(ctx context.Context) (*common.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil && time.Since(s.loadedAt) < credentialTTL {
		return s.client, nil
	}
	id, key, err := s.cfg.Credentials(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: tencent credentials: %v", sms.ErrUnavailable, err)
	}
	if id == "" || key == "" {
		return nil, fmt.Errorf("%w: tencent credentials are empty", sms.ErrUnavailable)
	}
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.ReqTimeout = int(max(s.cfg.Timeout/time.Second, 1))
	if s.cfg.Endpoint != "" {
		cpf.HttpProfile.Endpoint = s.cfg.Endpoint
	}
	if s.cfg.Scheme != "" {
		cpf.HttpProfile.Scheme = s.cfg.Scheme
	}
	s.client = common.NewCommonClient(common.NewCredential(id, key), s.cfg.Region, cpf)
	s.loadedAt = time.Now()
	return s.client, nil
}

func (s *Sender) forget() {
	s.mu.Lock()
	s.client = nil
	s.mu.Unlock()
}

// ParseCredentials reads the key pair as the operator stores it in the
// SecureString parameter: {"secretId":"…","secretKey":"…"}.
func ParseCredentials(b []byte) (secretID, secretKey string, err error) {
	var c struct {
		SecretID  string `json:"secretId"`
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.SecretID == "" || c.SecretKey == "" {
		return "", "", errors.New(`tencent: the credentials parameter holds {"secretId":"…","secretKey":"…"}`)
	}
	return c.SecretID, c.SecretKey, nil
}
