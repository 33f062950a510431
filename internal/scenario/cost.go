package scenario

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fangxian/fangxian/shared/manifest"
)

// Prices used, us-east-1, on-demand, as AWS lists them (2025-2026):
// DynamoDB on-demand after the November 2024 price cut; Lambda on arm64;
// API Gateway HTTP API's first 300 million requests; SQS standard queues.
const (
	dynamoWriteUSDPerMillion = 0.625
	dynamoReadUSDPerMillion  = 0.125
	lambdaUSDPerMillion      = 0.20
	lambdaUSDPerGBSecond     = 0.0000133334
	httpAPIUSDPerMillion     = 1.00
	sqsUSDPerMillion         = 0.40
)

// Durations assumed per invocation (the local stack does not run Lambda):
// an API request or a job's run, and a dispatch batch that paces its SMS.
const (
	apiSeconds      = 0.1
	dispatchSeconds = 1.0
)

// Cost is what the day took, and its price on AWS.
type Cost struct {
	ReadUnits  float64 `json:"dynamodbReadUnits"`
	WriteUnits float64 `json:"dynamodbWriteUnits"`
	// CancelledWriteUnits are billed for transactions cancelled (a full
	// slot found by a transaction): priced apart from what was written.
	CancelledTransactions float64          `json:"cancelledTransactions"`
	CancelledWriteUnits   float64          `json:"cancelledWriteUnits"`
	Requests              map[string]int64 `json:"dynamodbRequests"`
	Invocations           map[string]int64 `json:"invocations"`
	GBSeconds             float64          `json:"lambdaGBSeconds"`
	APIRequests           int64            `json:"apiRequests"`
	SQSRequests           int64            `json:"sqsRequests"`
	USD                   map[string]float64
	TotalUSD              float64 `json:"totalUSD"`
	SMSParts              int     `json:"smsParts"`
	SMSUSD                float64 `json:"smsUSD"`
	SMSPriceUSD           float64 `json:"smsPriceUSDPerPart"`
}

// costs reads what the run took from GET /dev/stats, against the reading
// before it.
func (r *runner) costs(ctx context.Context) error {
	if r.st.stats0 == nil {
		r.count("no /dev/stats: not priced", 1)
		return nil
	}
	var s1 stats
	if err := r.call(ctx, "GET", "/dev/stats", "", nil, &s1); err != nil {
		return err
	}
	c := &Cost{ReadUnits: s1.ReadUnits - r.st.stats0.ReadUnits, WriteUnits: s1.WriteUnits - r.st.stats0.WriteUnits,
		Requests: map[string]int64{}, Invocations: map[string]int64{}, USD: map[string]float64{}, SMSParts: r.rep.SMSParts, SMSPriceUSD: r.c.SMSPriceUSD,
		CancelledTransactions: s1.CancelledTransactions - r.st.stats0.CancelledTransactions, CancelledWriteUnits: s1.CancelledWriteUnits - r.st.stats0.CancelledWriteUnits}
	for k, v := range s1.Requests {
		if d := v - r.st.stats0.Requests[k]; d > 0 {
			c.Requests[k] = d
		}
	}
	memory := map[string]int{}
	for _, f := range manifest.Functions {
		memory[f.Name] = f.MemoryMB
	}
	var invocations int64
	for fn, v := range s1.Invocations {
		d := v - r.st.stats0.Invocations[fn]
		if d <= 0 {
			continue
		}
		c.Invocations[fn] = d
		invocations += d
		secs := apiSeconds
		if fn == "dispatch" {
			secs = dispatchSeconds
			c.SQSRequests += 3 * d * 10 // send, receive, delete, for up to 10 messages a batch
		} else if fn != "jobs" && fn != "reminders" {
			c.APIRequests += d
		}
		c.GBSeconds += float64(d) * secs * float64(memory[fn]) / 1024
	}
	c.USD["dynamodb"] = c.ReadUnits/1e6*dynamoReadUSDPerMillion + c.WriteUnits/1e6*dynamoWriteUSDPerMillion
	c.USD["dynamodbRefusals"] = c.CancelledWriteUnits / 1e6 * dynamoWriteUSDPerMillion
	c.USD["lambda"] = float64(invocations)/1e6*lambdaUSDPerMillion + c.GBSeconds*lambdaUSDPerGBSecond
	c.USD["apiGateway"] = float64(c.APIRequests) / 1e6 * httpAPIUSDPerMillion
	c.USD["sqs"] = float64(c.SQSRequests) / 1e6 * sqsUSDPerMillion
	for _, v := range c.USD {
		c.TotalUSD += v
	}
	c.SMSUSD = float64(c.SMSParts) * c.SMSPriceUSD
	r.rep.Cost = c
	r.count("dynamodb read units", int(c.ReadUnits))
	r.count("dynamodb write units", int(c.WriteUnits))
	r.count("invocations", int(invocations))
	return nil
}

func (c *Cost) markdown(w io.Writer, s say) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	put := func(text string) { _, _ = io.WriteString(w, text) }
	put(s.t("\n## 这一天用了什么，在 AWS 上值多少钱\n\n| | 用量 | 美元 |\n| --- | --- | --- |\n", "\n## What the day took, and its price on AWS\n\n| | amount | USD |\n| --- | --- | --- |\n"))
	p(s.t("| DynamoDB 读取请求单位 | %.0f | %.4f |\n", "| DynamoDB read request units | %.0f | %.4f |\n"), c.ReadUnits, c.ReadUnits/1e6*dynamoReadUSDPerMillion)
	p(s.t("| DynamoDB 写入请求单位 | %.0f | %.4f |\n", "| DynamoDB write request units | %.0f | %.4f |\n"), c.WriteUnits, c.WriteUnits/1e6*dynamoWriteUSDPerMillion)
	p(s.t("| 被取消的 %.0f 个事务计费的写入单位（事务发现的拒绝：时段已满） | %.0f | %.4f |\n",
		"| DynamoDB write units billed for %.0f transactions cancelled (refusals a transaction found: a full slot) | %.0f | %.4f |\n"),
		c.CancelledTransactions, c.CancelledWriteUnits, c.USD["dynamodbRefusals"])
	var inv int64
	var per []string
	for _, fn := range sortedKeys(c.Invocations) {
		inv += c.Invocations[fn]
		per = append(per, fmt.Sprintf("%s %d", fn, c.Invocations[fn]))
	}
	p(s.t("| Lambda 调用（%s） | %d 次，%.0f GB-秒 | %.4f |\n", "| Lambda invocations (%s) | %d, %.0f GB-s | %.4f |\n"),
		strings.Join(per, s.t("、", ", ")), inv, c.GBSeconds, c.USD["lambda"])
	p(s.t("| API Gateway HTTP API 请求 | %d | %.4f |\n", "| API Gateway HTTP API requests | %d | %.4f |\n"), c.APIRequests, c.USD["apiGateway"])
	p(s.t("| SQS 请求 | %d | %.4f |\n", "| SQS requests | %d | %.4f |\n"), c.SQSRequests, c.USD["sqs"])
	p(s.t("| **AWS 合计（不含短信）** | | **%.4f** |\n", "| **AWS, without SMS** | | **%.4f** |\n"), c.TotalUSD)
	if c.SMSPriceUSD > 0 {
		p(s.t("| 短信计费条数，每条 %.4f 美元 | %d | %.2f |\n", "| SMS parts at %.4f USD | %d | %.2f |\n"), c.SMSPriceUSD, c.SMSParts, c.SMSUSD)
	} else {
		p(s.t("| 短信计费条数（按目的地计价：用 -sms-price-usd 给出） | %d | |\n", "| SMS parts (priced per destination: give -sms-price-usd) | %d | |\n"), c.SMSParts)
	}
	p(s.t("\nDynamoDB 的单位是 DynamoDB Local 对每个请求报告的用量（事务计双倍）。价格：us-east-1 按需，"+
		"DynamoDB 每百万写入请求单位 %.3f 美元、每百万读取请求单位 %.3f 美元；Lambda arm64 每百万请求 %.2f 美元、每 GB-秒 %.10f 美元；"+
		"API Gateway HTTP API 每百万请求 %.2f 美元；SQS 每百万请求 %.2f 美元。Lambda 时长是假设而非测量："+
		"API 请求或定时任务每次 %.1f 秒，发送批次每批 %.1f 秒（按节奏发短信）；SQS 按每批最多 10 条消息各一次发送、接收和删除计。\n",
		"\nDynamoDB's units are those DynamoDB Local reported for each request (transactions count double). Prices: us-east-1 on-demand, "+
			"DynamoDB %.3f USD per million write and %.3f per million read request units; Lambda arm64 %.2f USD per million requests and %.10f per GB-second; "+
			"API Gateway HTTP API %.2f USD per million requests; SQS %.2f USD per million requests. Lambda durations are assumed, not measured: "+
			"%.1f s an API request or job run, %.1f s a dispatch batch (it paces its SMS); SQS is counted as a send, a receive and a delete for each of up to 10 messages a batch.\n"),
		dynamoWriteUSDPerMillion, dynamoReadUSDPerMillion, lambdaUSDPerMillion, lambdaUSDPerGBSecond, httpAPIUSDPerMillion, sqsUSDPerMillion, apiSeconds, dispatchSeconds)
}
