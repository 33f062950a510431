package inbound

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/phone"
)

// MinSecretLength is the shortest callback secret accepted: 32 characters of
// base64url are 192 bits, beyond guessing through the API's rate.
const MinSecretLength = 32

// Secrets checks the secret a callback URL carries in its path. The
// SecureString parameter holds the current secret and, while a rotation is
// under way, the previous one, one a line; it is read again after TTL, so a
// rotation reaches running functions within that time.
type Secrets struct {
	Load func(ctx context.Context) ([]byte, error)
	TTL  time.Duration

	mu     sync.Mutex
	values []string
	at     time.Time
}

// ParseSecrets reads the parameter's lines; each must be long enough.
func ParseSecrets(b []byte) ([]string, error) {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) < MinSecretLength {
			return nil, fmt.Errorf("inbound: a callback secret is shorter than %d characters", MinSecretLength)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("inbound: no callback secret")
	}
	return out, nil
}

// Check reports whether given is a current secret, comparing in constant
// time.
func (s *Secrets) Check(ctx context.Context, given string) (bool, error) {
	values, err := s.current(ctx)
	if err != nil {
		return false, err
	}
	ok := false
	for _, v := range values {
		if subtle.ConstantTimeCompare([]byte(v), []byte(given)) == 1 {
			ok = true
		}
	}
	return ok, nil
}

func (s *Secrets) current(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.TTL
	if ttl == 0 {
		ttl = time.Minute
	}
	if s.values != nil && time.Since(s.at) < ttl {
		return s.values, nil
	}
	b, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	values, err := ParseSecrets(b)
	if err != nil {
		return nil, err
	}
	s.values, s.at = values, time.Now()
	return values, nil
}

// ErrCallbacksUnavailable is a callback that cannot be checked now (the
// secret unreadable): the provider retries.
var ErrCallbacksUnavailable = apperr.New(apperr.KindUnavailable, "CALLBACKS_UNAVAILABLE", "回调暂不可用，请稍后重试", "Callbacks are unavailable, try again later")

// MaxReceiptsPerCallback bounds one receipts callback's array.
const MaxReceiptsPerCallback = 1000

// tencentReceipt is one element of Tencent Cloud SMS's status callback.
type tencentReceipt struct {
	UserReceiveTime string `json:"user_receive_time"`
	NationCode      string `json:"nationcode"`
	Mobile          string `json:"mobile"`
	ReportStatus    string `json:"report_status"`
	ErrMsg          string `json:"errmsg"`
	Description     string `json:"description"`
	SID             string `json:"sid"`
}

// tencentReply is Tencent Cloud SMS's reply callback.
type tencentReply struct {
	Extend     string `json:"extend"`
	Mobile     string `json:"mobile"`
	NationCode string `json:"nationcode"`
	Sign       string `json:"sign"`
	Text       string `json:"text"`
	Time       int64  `json:"time"`
}

// TencentCallbacks serves the two callback URLs an operator registers in
// Tencent Cloud's SMS console: POST /v1/sms/callbacks/{secret}/receipts and
// …/replies. A wrong secret answers 404, as a path that does not exist.
func (h *Handler) TencentCallbacks(secrets *Secrets) httpapi.Handlers {
	authorised := func(r *http.Request) error {
		ok, err := secrets.Check(r.Context(), r.PathValue("secret"))
		if err != nil {
			return ErrCallbacksUnavailable.Wrap(err)
		}
		if !ok {
			return apperr.NotFound
		}
		return nil
	}
	answer := func(w http.ResponseWriter) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"result": 0, "errmsg": "OK"})
	}
	return httpapi.Handlers{
		"smsReceipts": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			if err := authorised(r); err != nil {
				return err
			}
			var in []tencentReceipt
			if err := httpapi.DecodeForeignJSON(r, &in); err != nil {
				return err
			}
			if len(in) > MaxReceiptsPerCallback {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "receipts", Reason: fmt.Sprintf("at most %d", MaxReceiptsPerCallback)})
			}
			// A receipt that cannot be read is passed over (and logged), not
			// allowed to drop the good ones beside it.
			skipped := 0
			for _, rc := range in {
				status := strings.ToUpper(strings.TrimSpace(rc.ReportStatus))
				if rc.SID == "" || len(rc.SID) > 128 || strings.ContainsFunc(rc.SID, func(r rune) bool { return r < 0x21 || r > 0x7e }) ||
					(status != "SUCCESS" && status != "FAIL") {
					skipped++
					continue
				}
				if err := h.Receipt(r.Context(), Receipt{ProviderID: rc.SID, Delivered: status == "SUCCESS"}); err != nil {
					return err // the provider retries the whole callback: receipts count once
				}
			}
			if skipped > 0 {
				logging.From(r.Context()).Warn("unreadable delivery receipts passed over", "skipped", skipped, "of", len(in))
			}
			answer(w)
			return nil
		}),
		"smsReplies": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			if err := authorised(r); err != nil {
				return err
			}
			var in tencentReply
			if err := httpapi.DecodeForeignJSON(r, &in); err != nil {
				return err
			}
			from, err := phone.Normalize(in.Mobile)
			if in.NationCode != "" && in.NationCode != "86" {
				answer(w) // only mainland numbers live here: nothing to do
				return nil
			}
			if err != nil {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "mobile", Reason: "11-digit mainland mobile number"})
			}
			// Seconds since 1970, within a sane range (year 2000 to 2100).
			if in.Time < 946684800 || in.Time > 4102444800 {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "time", Reason: "Unix seconds"})
			}
			at := time.Unix(in.Time, 0)
			text := cleanText(in.Text)
			if _, err := h.Reply(r.Context(), Reply{From: from, Text: text, At: at, Key: replyKey(from, at, text)}); err != nil {
				return err
			}
			answer(w)
			return nil
		}),
	}
}
