package sms

// The flows an SMS keyword asks for (package smsflow acts on them).
const (
	FlowStart    = "start"
	FlowBook     = "book"
	FlowCancel   = "cancel"
	FlowQuery    = "query"
	FlowTemp     = "temp"
	FlowOrder    = "order"
	FlowHelp     = "help"
	FlowCheckIn  = "checkin"
	FlowCheckOut = "checkout"
	FlowYes      = "yes"
	FlowNo       = "no"
	FlowPass     = "pass"
)

// Keyword is a word a reply starts with, and the flow it asks for.
type Keyword struct {
	Word string
	Flow string
}

// Keywords are every keyword, in Chinese and English, longest first where
// one is the start of another: the keyword flows parse replies by them, and
// the inbound handler never takes a reply that starts with a request for an
// opt-out ("求助 血止不住 stop" is a help request).
var Keywords = []Keyword{
	{"订阅", FlowStart}, {"恢复订阅", FlowStart}, {"恢复", FlowStart}, {"START", FlowStart},
	{"预约", FlowBook}, {"BOOK", FlowBook},
	{"取消", FlowCancel}, {"CANCEL", FlowCancel},
	{"查询", FlowQuery}, {"QUERY", FlowQuery},
	{"体温", FlowTemp}, {"TEMP", FlowTemp},
	{"订购", FlowOrder}, {"订", FlowOrder}, {"ORDER", FlowOrder},
	{"求助", FlowHelp}, {"HELP", FlowHelp},
	{"到岗", FlowCheckIn}, {"CHECKIN", FlowCheckIn}, {"CHECK IN", FlowCheckIn},
	{"离岗", FlowCheckOut}, {"CHECKOUT", FlowCheckOut}, {"CHECK OUT", FlowCheckOut},
	{"通行证", FlowPass}, {"通行码", FlowPass}, {"PASS", FlowPass},
	{"YES", FlowYes}, {"是", FlowYes}, {"NO", FlowNo}, {"否", FlowNo},
}

// Requests are the keywords that ask for something: a reply that starts
// with one is never an opt-out, whatever follows. Subscribing, answering a
// call and 取消 (which starts 取消订阅, an opt-out) are not among them.
func Requests() []string {
	var out []string
	for _, k := range Keywords {
		switch k.Flow {
		case FlowStart, FlowYes, FlowNo, FlowCancel:
		default:
			out = append(out, k.Word)
		}
	}
	return out
}
