// Package metrics writes the product's figures as CloudWatch embedded
// metric format (EMF): one JSON line on stdout per figure, which Lambda's
// log pipeline turns into metrics without an API call. Namespace Fangxian,
// dimension Stage, and optionally one more (an SMS's purpose, a help
// request's kind). Off the Lambda runtime they go nowhere unless Out is set.
package metrics

import (
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"
)

// Namespace is where the stack's dashboard finds the figures.
const Namespace = "Fangxian"

// The figures, by name: the dashboard and its alarm use the same.
const (
	Bookings        = "Bookings"        // residents booked (a booking of three counts 3)
	Orders          = "Orders"          // supply orders placed
	OrdersDelivered = "OrdersDelivered" // handed over at the door
	Notices         = "Notices"         // notices created
	SMS             = "SMS"             // messages given to the provider, by Purpose
	SMSParts        = "SMSParts"        // their billed parts, by Purpose
	HelpResponse    = "HelpResponseSeconds"
	// HelpOverdue counts help requests that passed a deadline unclaimed
	// (each level of escalation once), as the job finds them.
	HelpOverdue = "HelpOverdue"
	InboundSMS  = "InboundSMS" // SMS phones sent, acted on by the keyword flows
)

var (
	mu sync.Mutex
	// Out is where the lines go: stdout in Lambda, nowhere elsewhere.
	Out io.Writer = defaultOut()
	// Now stamps the lines.
	Now = time.Now
)

func defaultOut() io.Writer {
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return os.Stdout
	}
	return io.Discard
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

// Count records n of name; dim is an optional second dimension (name,
// value), e.g. "Purpose", "booking".
func Count(name string, n float64, dim ...string) { emit(name, "Count", n, dim) }

// Seconds records a duration of name in seconds.
func Seconds(name string, d time.Duration, dim ...string) { emit(name, "Seconds", d.Seconds(), dim) }

func emit(name, unit string, v float64, dim []string) {
	line := map[string]any{name: v, "Stage": stage()}
	dims := [][]string{{"Stage"}}
	if len(dim) == 2 {
		line[dim[0]] = dim[1]
		dims = append(dims, []string{"Stage", dim[0]})
	}
	line["_aws"] = map[string]any{
		"Timestamp":         Now().UnixMilli(),
		"CloudWatchMetrics": []directive{{Namespace: Namespace, Dimensions: dims, Metrics: []metricDef{{Name: name, Unit: unit}}}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	_, _ = Out.Write(append(b, '\n'))
}

func stage() string {
	if s := os.Getenv("STAGE"); s != "" {
		return s
	}
	return "local"
}
