package apidoc

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fangxian/fangxian/shared/daily"
)

// figureNames are the daily report's figures, by name.
func figureNames() []string {
	out := make([]string, len(daily.Figures))
	for i, f := range daily.Figures {
		out[i] = f.Name
	}
	return out
}

// dailyComponents are the daily report's schemas.
func dailyComponents() openapi3.Schemas {
	figures := map[string]*openapi3.SchemaRef{}
	for _, f := range daily.Figures {
		figures[f.Name] = S(describe(integer(0, 1e7), f.Title+": "+f.Holds+"."))
	}
	names := figureNames()
	figs := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: figures, Required: names,
		AdditionalProperties: openapi3.AdditionalProperties{Has: openapi3.BoolPtr(false)}}
	column := object(props{
		"title":  S(text(40, "The column's title in the street's words.")),
		"figure": S(enum(names...)),
	}, "title", "figure")
	return openapi3.Schemas{
		"DailyReport": S(object(props{
			"communityId": S(id("")), "name": S(str(0, 64)), "day": S(day()),
			"figures": S(figs),
			"at":      S(describe(beijingTime(), "When the figures were gathered.")),
			"confirmation": S(describe(object(props{
				"communityId": S(id("")), "day": S(day()), "figures": S(figs), "note": S(str(0, 500)),
				"at": S(beijingTime()), "by": S(id("")),
			}, "communityId", "day", "figures", "at", "by"), "The community's confirmation of the day: the figures as they were then.")),
			"cutoffAt": S(describe(beijingTime(), "The street's cut-off for the day: the morning after, at the street's time.")),
		}, "communityId", "name", "day", "figures", "at", "cutoffAt")),
		"ReportTemplate": S(object(props{
			"streetId": S(id("")), "cutoff": S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "HH:MM, Beijing: the morning after a day.")),
			"columns":   S(arrayOf(column).WithMinItems(1).WithMaxItems(daily.MaxColumns)),
			"default":   S(describe(boolean(), "The street has not set its own: every figure, in the report's order, cut-off 11:00.")),
			"version":   S(integer(0, 1e9)),
			"updatedAt": S(beijingTime()), "updatedBy": S(id("")),
			"cutoffs": S(describe(arrayOf(object(props{"since": S(beijingTime()), "cutoff": S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, ""))}, "since", "cutoff")),
				"The cut-offs set, each with when: a day's cut-off is the one in force when the day ended, so a change reopens no day already closed.")),
		}, "streetId", "cutoff", "columns", "default", "version")),
	}
}

var dailyOps = map[string]op{
	"reportFigures": {summary: "The figures a daily report holds",
		description: "Each figure's name (what a street's sheet maps a column to), its default title and what it counts.",
		answers:     ok(S(arrayOf(object(props{"name": S(enum(figureNames()...)), "title": S(str(1, 40)), "holds": S(str(1, 200))}, "name", "title", "holds"))))},
	"communityDaily": {summary: "A community's daily report (日报) of a day",
		description: "Gathered from what the community's capabilities keep: the register, the day's testing rounds (drills left out), watches, transfers, screening tasks, temperature readings and door checks, help requests, deliveries, volunteers' check-ins and shifts, the reserve. With the community's confirmation, if it confirmed the day.",
		query:       []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing), of the last 400 and not after today; default today."}},
		answers:     ok(ref("DailyReport"))},
	"confirmDaily": {summary: "Confirm a day's figures (日报确认), with a note",
		description: "Records the day's figures as they are now, with a note, until the street's cut-off the morning after (DAILY_CUTOFF_PASSED then); confirming again before it replaces the last. The street's sheet then holds the confirmed figures.",
		body:        object(props{"day": S(day()), "note": S(text(500, ""))}, "day"),
		answers:     ok(ref("DailyReport")),
		codes:       map[int][]string{409: {"DAILY_CUTOFF_PASSED"}}},
	"getReportTemplate": {summary: "The street's daily sheet: its columns and cut-off",
		answers: ok(ref("ReportTemplate"))},
	"setReportTemplate": {summary: "Set the street's daily sheet",
		description: "Street admins set the sheet's columns in their own words and order, each mapped to a figure of the report (UNKNOWN_FIGURE otherwise; GET /v1/report-figures lists them), and the cut-off the morning after a day. Written over the version read (0 the first time).",
		body: object(props{
			"cutoff":  S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "HH:MM, Beijing.")),
			"columns": S(arrayOf(object(props{"title": S(text(40, "")), "figure": S(str(1, 64))}, "title", "figure")).WithMinItems(1).WithMaxItems(daily.MaxColumns)),
			"version": S(integer(0, 1e9)),
		}, "cutoff", "columns"),
		answers: ok(ref("ReportTemplate")),
		codes:   map[int][]string{400: {"UNKNOWN_FIGURE"}, 409: {"CHANGED_MEANWHILE"}}},
	"streetDaily": {summary: "The street's daily sheet of a day (街道日报汇总)",
		description: "Every community of the street in a row, in the street's columns: a community that confirmed has the figures it confirmed, one that did not has them as gathered now, marked; a total row. `?format=xlsx` is an Excel workbook with numbers in the figures' columns; csv a file Excel opens.",
		query: []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing); default today."},
			{name: "format", schema: enum("json", "csv", "xlsx"), description: "xlsx: an Excel workbook, the figures as numbers; csv: a file Excel opens."}},
		answers: []answer{{status: 200, schema: S(object(props{
			"streetId": S(id("")), "day": S(day()), "cutoffAt": S(beijingTime()),
			"cutOff":  S(describe(boolean(), "The cut-off has passed: the sheet is the day's last word.")),
			"columns": S(arrayOf(object(props{"title": S(str(1, 40)), "figure": S(enum(figureNames()...))}, "title", "figure"))),
			"rows": S(arrayOf(object(props{
				"communityId": S(id("")), "name": S(str(0, 64)), "confirmed": S(boolean()), "confirmedAt": S(beijingTime()),
				"note": S(str(0, 500)), "values": S(describe(arrayOf(integer(0, 1e7)), "The columns' figures, in their order.")),
			}, "communityId", "name", "confirmed", "values"))),
			"total":       S(describe(arrayOf(integer(0, 1e9)), "Each column summed (an average's column 0).")),
			"unconfirmed": S(integer(0, 1000)),
		}, "streetId", "day", "cutoffAt", "cutOff", "columns", "rows", "total", "unconfirmed"))}, {status: 200, csv: true}}},
}
