package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	appconfig "github.com/fangxian/fangxian/shared/config"

	"github.com/fangxian/fangxian/internal/contract"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

// checker holds every exchange of this package's tests to the API's document.
var checker *contract.Checker

// TestMain checks every exchange of every test against the API's document.
func TestMain(m *testing.M) {
	var err error
	checker, err = contract.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the API's document:", err)
		os.Exit(1)
	}
	observe = checker.Middleware
	os.Exit(contract.RunTests(checker, func() int { return dynamolocal.RunTests(m) }))
}

// Callers of the matrix: the community under test is cA of street sA.
const (
	anonymous   = "anonymous"
	residentA   = "resident of cA"
	volunteerA  = "volunteer of cA"
	staffA      = "staff of cA"
	staffB      = "staff of cB"
	adminA      = "admin of sA"
	adminB      = "admin of sB"
	forgedAdmin = "admin token signed by another key"
)

var callers = []string{anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin}

// allowed lists, for every op of the manifest, who may call it on cA / sA.
// A route missing here fails the test: new routes must state their rule.
var allowed = map[string][]string{
	"health":          {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"openapi":         {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"apiDocs":         {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"apiDocsScript":   {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"requestOtp":      {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"createToken":     {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"wechatToken":     {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"getMe":           {residentA, volunteerA, staffA, staffB, adminA, adminB},
	"getCommunity":    {staffA, adminA},
	"importResidents": {staffA, adminA},
	"listBuildings":   {staffA, adminA},
	"findResidents":   {staffA, adminA},
	"addResident":     {staffA, adminA},
	"updateResident":  {staffA, adminA},
	// Screening lists are the street's; their tasks the community's, and
	// the door's: volunteers answer only tasks given to them.
	"uploadScreeningList":    {adminA},
	"listScreeningLists":     {adminA},
	"getScreeningList":       {adminA},
	"screeningFeedback":      {adminA},
	"listScreeningTasks":     {staffA, adminA},
	"assignScreeningTasks":   {staffA, adminA},
	"myScreeningTasks":       {volunteerA, staffA, staffB},
	"matchScreeningTask":     {staffA, adminA},
	"recordScreeningOutcome": {staffA, adminA},
	"openWatch":              {staffA, adminA},
	"listWatches":            {staffA, adminA},
	"endWatch":               {staffA, adminA},
	"enterWatchCheck":        {staffA, adminA},
	"watchDoors":             {staffA, adminA},
	"recordWatchTest":        {staffA, adminA},
	"listReserve":            {staffA, adminA},
	"setCarePlan":            {staffA, adminA},
	"getCarePlan":            {staffA, adminA, residentA},
	"removeCarePlan":         {staffA, adminA, residentA},
	"careBoard":              {staffA, adminA},
	"giveCareCar":            {staffA, adminA},
	"getPassRules":           {staffA, adminA},
	"setPassRules":           {staffA, adminA},
	"myPass":                 {residentA},
	"passCards":              {staffA, adminA},
	"newPassCode":            {staffA, adminA},
	"setPassPermit":          {staffA, adminA},
	"recordGateEvent":        {volunteerA, staffA, adminA},
	"gateView":               {volunteerA, staffA, adminA},
	"markGateReturn":         {staffA, adminA},
	"gateLate":               {staffA, adminA},
	"gateCounts":             {staffA, adminA},
	"answerCareCheck":        {residentA},
	"listHospitals":          {staffA, adminA},
	"addHospital":            {adminA},
	"removeHospital":         {adminA},
	"createReserveItem":      {staffA, adminA},
	"updateReserveItem":      {staffA, adminA},
	"moveReserve":            {staffA, adminA},
	"reserveMovements":       {staffA, adminA},
	"createTransfer":         {staffA, adminA},
	"listTransfers":          {staffA, adminA},
	"getTransfer":            {staffA, adminA},
	"setTransferStatus":      {staffA, adminA},
	"returnTransfer":         {staffA, adminA},
	"getHousehold":           {staffA, adminA},
	"createStaff":            {adminA},
	"createCommunity":        {adminA},
	"listCommunities":        {adminA},
	"streetAudit":            {adminA},
	"getSignupLink":          {staffA, adminA},
	"rotateSignupLink":       {staffA, adminA},
	"revokeSignupLink":       {staffA, adminA},
	"createRound":            {staffA, adminA},
	"getRound":               {residentA, volunteerA, staffA, adminA},
	"listRounds":             {residentA, volunteerA, staffA, adminA},
	"listNotices":            {staffA, adminA},
	"addSite":                {staffA, adminA},
	"planRound":              {staffA, adminA},
	"closeSite":              {staffA, adminA},
	"rescheduleBooking":      {residentA, staffA, adminA},
	"setZones":               {staffA, adminA},
	"listZones":              {staffA, adminA},
	"createNotice":           {staffA, adminA},
	"previewNotice":          {staffA, adminA},
	"createMerchant":         {staffA, adminA},
	"listMerchants":          {staffA, adminA},
	"createItem":             {staffA, adminA},
	"listItems":              {residentA, volunteerA, staffA, adminA},
	"updateItem":             {staffA, adminA},
	"placeOrder":             {residentA},
	"listOrders":             {staffA, adminA},
	"myOrders":               {residentA},
	"getOrder":               {residentA, staffA, adminA},
	"setOrderStatus":         {residentA, staffA, adminA}, // the household cancels it; staff then find it cancelled
	"purchaseList":           {staffA, adminA},
	"pickList":               {staffA, adminA},
	"assignDeliveries":       {staffA, adminA},
	"myDeliveries":           {volunteerA, staffA, staffB}, // each sees their own doors
	"requestHelp":            {residentA},
	"myHelp":                 {residentA},
	"listHelp":               {staffA, adminA},
	"claimHelp":              {staffA, adminA},
	"addHelpAction":          {staffA, adminA},
	"closeHelp":              {staffA, adminA},
	"getHelpSettings":        {staffA, adminA},
	"setHelpSettings":        {staffA, adminA},
	// Volunteers: signing up is anyone's (the phone's code decides).
	"volunteerSignup":        {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"listVolunteers":         {staffA, adminA},
	"approveVolunteer":       {staffA, adminA},
	"rejectVolunteer":        {staffA, adminA},
	"deactivateVolunteer":    {staffA, adminA},
	"createPost":             {staffA, adminA},
	"listPosts":              {volunteerA, staffA, adminA}, // a volunteer sees the posts they serve
	"dutyBoard":              {staffA, adminA},
	"assignVolunteer":        {staffA, adminA},
	"listAssignments":        {staffA, adminA},
	"suggestVolunteers":      {staffA, adminA},
	"activate":               {staffA, adminA},
	"getActivation":          {staffA, adminA},
	"respondActivation":      {volunteerA},
	"postCode":               {staffA, adminA}, // and the post's squad leader (volunteers_test.go)
	"postCheckIn":            {volunteerA},
	"postCheckOut":           {volunteerA},
	"myAssignments":          {volunteerA},
	"volunteerHours":         {staffA, adminA},
	"volunteerRecords":       {staffA, adminA},
	"volunteerPool":          {staffA, adminA},
	"requestLoan":            {staffA, adminA},
	"listLoans":              {staffA, adminA},
	"approveLoan":            {staffA, adminA},
	"declineLoan":            {staffA, adminA},
	"createTraining":         {staffA, adminA},
	"activateStreet":         {adminA},
	"listTrainings":          {staffA, adminA},
	"recordAttendance":       {staffA, adminA},
	"getTrainingRules":       {staffA, adminA},
	"setTrainingRules":       {adminA},
	"volunteerRecord":        {staffA, adminA},
	"volunteerRanking":       {adminA},
	"getPlaybook":            {staffA, adminA},
	"putPlaybook":            {staffA, adminA},
	"getMode":                {staffA, adminA},
	"switchMode":             {staffA, adminA},
	"switchStreetMode":       {adminA},
	"playbookFromTemplate":   {staffA, adminA},
	"listPlaybookTemplates":  {staffA, adminA},
	"createPlaybookTemplate": {adminA},
	"putPlaybookTemplate":    {adminA},
	"streetRuns":             {adminA},
	"reportFigures":          {staffA, staffB, adminA, adminB},
	"communityDaily":         {staffA, adminA},
	"confirmDaily":           {staffA, adminA},
	"getReportTemplate":      {staffA, adminA},
	"setReportTemplate":      {adminA},
	"streetDaily":            {adminA},
	"getRun":                 {staffA, adminA},
	"tickStep":               {staffA, adminA},
	"runReport":              {staffA, adminA},
	"drillOutbox":            {staffA, adminA},
	"removeDrillData":        {staffA, adminA},
	"setDrillOptIn":          {residentA},
	"retentionReport":        {staffA, adminA},
	"exportResident":         {staffA, adminA},
	"eraseResident":          {staffA, adminA},
	// The callbacks take no token: the secret in their path decides (see
	// callbacks_test.go for a wrong one).
	"smsReceipts":       {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"smsReplies":        {anonymous, residentA, volunteerA, staffA, staffB, adminA, adminB, forgedAdmin},
	"myNotices":         {residentA},
	"ackNotice":         {residentA},
	"noticeDelivery":    {staffA, adminA},
	"reportTemperature": {residentA},
	"listTemperatures":  {staffA, adminA},
	"listSlots":         {residentA, volunteerA, staffA, adminA},
	"createBookings":    {residentA, staffA, adminA},
	"myBookings":        {residentA},
	"cancelBooking":     {residentA, staffA, adminA},
	"checkIn":           {staffA, adminA},
	"roundProgress":     {staffA, adminA},
	// Volunteers reach these with a duty only (the fixture gives none:
	// NOT_ON_DUTY); shared/booking's tests hold the duties.
	"patchSite":          {staffA, adminA},
	"openSite":           {staffA, adminA},
	"myField":            {staffA, adminA},
	"missedRounds":       {staffA, adminA},
	"callBuilding":       {staffA, adminA},
	"roundBuilding":      {staffA, adminA},
	"doorList":           {staffA, adminA},
	"roundReview":        {staffA, adminA},
	"recordResults":      {staffA, adminA},
	"getTube":            {staffA, adminA},
	"listTraces":         {staffA, adminA},
	"takeSingle":         {staffA, adminA},
	"importSamples":      {staffA, adminA},
	"myResults":          {residentA},
	"saveRoundNote":      {staffA, adminA},
	"listUnsampled":      {staffA, adminA},
	"setUnsampledReason": {staffA, adminA},
}

// bodies are valid requests, so that an allowed call gets past validation.
var bodies = map[string]struct{ contentType, body string }{
	"requestOtp":             {"application/json", `{"phone":"13612345678"}`},
	"createToken":            {"application/json", `{"phone":"13612345678","code":"123456"}`},
	"wechatToken":            {"application/json", `{"code":"wx"}`},
	"importResidents":        {"text/csv", "building,unit,room,name\n9号楼,1,101,新居民\n"},
	"addResident":            {"application/json", `{"householdId":"HOUSEHOLD","name":"新成员","reason":"入户核实"}`},
	"updateResident":         {"application/json", `{"flags":["alone"],"reason":"入户核实"}`},
	"createStaff":            {"application/json", `{"name":"新同事","phone":"13655556666"}`},
	"createCommunity":        {"application/json", `{"name":"新社区"}`},
	"createRound":            {"application/json", `{"name":"第5轮","startsAt":"2030-01-01T08:00:00+08:00","endsAt":"2030-01-01T12:00:00+08:00","slotMinutes":30}`},
	"addSite":                {"application/json", `{"name":"西门","lanes":2,"perLanePerSlot":10}`},
	"checkIn":                {"application/json", `{"residentId":"RESIDENT"}`},
	"recordResults":          {"application/json", `{"results":[{"tube":"AUTHZ0001","result":"阴性"}]}`},
	"takeSingle":             {"application/json", `{"residentId":"RESIDENT","tube":"AUTHZ0003"}`},
	"importSamples":          {"text/csv", "姓名,手机号,试管码\n无此人,13012345678,AUTHZ0002\n"},
	"uploadScreeningList":    {"text/csv", "姓名,手机号,现住址,类别\n居民,13700000001,1号楼1单元101,次密接\n"},
	"assignScreeningTasks":   {"application/json", `{"taskIds":["TASK"],"staffPhone":"13900000011"}`},
	"matchScreeningTask":     {"application/json", `{"residentId":"RESIDENT"}`},
	"recordScreeningOutcome": {"application/json", `{"outcome":"wrong_address"}`},
	"openWatch":              {"application/json", `{"householdId":"HOUSEHOLD","kind":"health_monitoring","reason":"staff"}`},
	"enterWatchCheck":        {"application/json", `{"residentId":"RESIDENT","celsius":36.6,"symptoms":["none"]}`},
	"setCarePlan":            {"application/json", `{"needs":[{"kind":"dialysis","weekdays":[2,4,6],"at":"08:00","place":"兰大一院","needsCar":true}],"dailyCheck":true}`},
	"giveCareCar":            {"application/json", `{"residentId":"RESIDENT","day":"TODAY","need":0,"driver":"张师傅","phone":"13800138000"}`},
	"setPassRules":           {"application/json", `{"levels":{"sealed":{"outs":0,"everyDays":0,"minutes":0,"free":false},"controlled":{"outs":1,"everyDays":2,"minutes":120,"free":false},"precaution":{"outs":1,"everyDays":1,"minutes":240,"free":false},"none":{"outs":0,"everyDays":0,"minutes":0,"free":true}},"careTrips":true,"permits":true,"version":0}`},
	"setPassPermit":          {"application/json", `{"until":"TODAY","reason":"医院职工"}`},
	"recordGateEvent":        {"application/json", `{"eventId":"authz-visitor-1","kind":"visitor","direction":"in","buildingId":"BUILDING"}`},
	"addHospital":            {"application/json", `{"name":"兰大一院","phone":"0931-8625200"}`},
	"createReserveItem":      {"application/json", `{"name":"N95口罩","unit":"个","category":"protective","minimum":200}`},
	"updateReserveItem":      {"application/json", `{"minimum":300}`},
	"moveReserve":            {"application/json", `{"kind":"receipt","quantity":100,"donor":"某企业"}`},
	"recordWatchTest":        {"application/json", `{"residentId":"RESIDENT","testDay":1,"result":"negative"}`},
	"createTransfer":         {"application/json", `{"residentIds":["RESIDENT"],"pickup":"东门","at":"WHEN_AT","destination":"集中隔离点"}`},
	"setTransferStatus":      {"application/json", `{"status":"ready"}`},
	"returnTransfer":         {"application/json", `{"at":"WHEN_AT"}`},
	"patchSite":              {"application/json", `{"lanes":3}`},
	"callBuilding":           {"application/json", `{}`},
	"saveRoundNote":          {"application/json", `{"text":"复盘"}`},
	"rescheduleBooking":      {"application/json", `{"slotId":"SLOT"}`},
	"setZones":               {"application/json", `{"buildingIds":["BUILDING"],"level":"sealed"}`},
	"createNotice":           {"application/json", `{"title":"通知","body":"请居家","audience":{"all":true},"channels":["app"]}`},
	"previewNotice":          {"application/json", `{"title":"通知","body":"请居家","audience":{"all":true},"channels":["app","sms"]}`},
	"createMerchant":         {"application/json", `{"name":"平价超市","phone":"13800001111"}`},
	"createItem":             {"application/json", `{"name":"大米","unit":"袋","priceFen":5000,"merchantId":"MERCHANT","stock":10,"limitPerHousehold":2}`},
	"updateItem":             {"application/json", `{"addStock":5}`},
	"placeOrder":             {"application/json", `{"lines":[{"itemId":"ITEM","quantity":1}]}`},
	"setOrderStatus":         {"application/json", `{"status":"cancelled","reason":"测试"}`},
	"assignDeliveries":       {"application/json", `{"buildingId":"BUILDING","delivererPhone":"13900000011"}`},
	"requestHelp":            {"application/json", `{"kind":"other","note":"需要帮助"}`},
	"addHelpAction":          {"application/json", `{"text":"已电话联系"}`},
	"closeHelp":              {"application/json", `{"outcome":"已处理"}`},
	"setHelpSettings":        {"application/json", `{"deadlines":{"childbirth":10}}`},
	"smsReceipts":            {"application/json", `[{"sid":"local-1","report_status":"SUCCESS","mobile":"13700000001","nationcode":"86"}]`},
	"smsReplies":             {"application/json", `{"mobile":"13700000001","nationcode":"86","text":"你好","time":1764460800}`},
	"reportTemperature":      {"application/json", `{"celsius":36.6}`},
	"createBookings":         {"application/json", `{"slotId":"SLOT","residentIds":["RESIDENT"]}`},
	"setUnsampledReason":     {"application/json", `{"reason":"away"}`},
	"volunteerSignup":        {"application/json", `{"name":"新志愿者","phone":"13611112222","code":"123456","category":"individual"}`},
	"createPost":             {"application/json", `{"kind":"checkpoint","name":"东门卡口","shifts":[{"startsAt":"2030-01-01T08:00:00+08:00","endsAt":"2030-01-01T12:00:00+08:00","need":2}]}`},
	"assignVolunteer":        {"application/json", `{"volunteerId":"v1","shiftId":"s1","role":"B"}`},
	"activate":               {"application/json", `{"all":true}`},
	"respondActivation":      {"application/json", `{"answer":"accept"}`},
	"postCheckIn":            {"application/json", `{"token":"not-a-code"}`},
	"postCheckOut":           {"application/json", `{"token":"not-a-code"}`},
	"putPlaybook":            {"application/json", `{"emergency":[{"id":"s1","title":"上报"}],"normal":[],"version":1}`},
	"switchMode":             {"application/json", `{"mode":"emergency","drill":true}`},
	"switchStreetMode":       {"application/json", `{"communities":["ca"],"mode":"emergency","drill":true}`},
	"confirmDaily":           {"application/json", `{"day":"TODAY","note":"已核对"}`},
	"playbookFromTemplate":   {"application/json", `{"templateId":"{templateId}","version":0}`},
	"createPlaybookTemplate": {"application/json", `{"name":"街道标准预案","emergency":[{"id":"report","title":"上报街道"}],"normal":[]}`},
	"putPlaybookTemplate":    {"application/json", `{"name":"街道标准预案","emergency":[{"id":"report","title":"上报街道"}],"normal":[],"version":1}`},
	"requestLoan":            {"application/json", `{"volunteerId":"v1","from":"WHEN_AT","to":"WHEN_AT"}`},
	"activateStreet":         {"application/json", `{"communities":["ca"],"all":true}`},
	"createTraining":         {"application/json", `{"title":"卡口登记规程","day":"TODAY","postKinds":["checkpoint"],"trainer":"街道应急办"}`},
	"recordAttendance":       {"application/json", `{"volunteerIds":["v1"]}`},
	"setTrainingRules":       {"application/json", `{"required":["checkpoint"]}`},
	"setReportTemplate":      {"application/json", `{"cutoff":"11:00","columns":[{"title":"发热人数","figure":"fevers"}]}`},
	"setDrillOptIn":          {"application/json", `{"optIn":true}`},
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel() // its own table: it runs beside the others
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	now := time.Now()
	seedTwoStreets(t, st, "building,unit,room,name,phone\n1号楼,1,101,居民,13700000001\n")
	resident, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}

	d, err := newDeps(context.Background(), st, config{})
	if err != nil {
		t.Fatal(err)
	}
	d.ready = func() error { return nil }
	h, err := newHandler(d, logging.New(io.Discard, slog.LevelError))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, _ := auth.GenerateKey()
	forger, _ := auth.NewIssuer(otherKey, auth.Audience(appconfig.LocalStage), time.Now)
	principals := map[string]auth.Principal{
		residentA:  resident.Principal,
		volunteerA: {UserID: "v1", Role: manifest.RoleVolunteer, CommunityID: "ca"},
		staffA:     {UserID: "staff-ca", Role: manifest.RoleStaff, CommunityID: "ca"},
		staffB:     {UserID: "staff-cb", Role: manifest.RoleStaff, CommunityID: "cb"},
		adminA:     {UserID: "admin-sa", Role: manifest.RoleAdmin, StreetID: "sa"},
		adminB:     {UserID: "admin-sb", Role: manifest.RoleAdmin, StreetID: "sb"},
	}
	for who, p := range principals {
		principals[who] = p.Normalized()
	}
	tokens := map[string]string{}
	for who, p := range principals {
		tok, _, err := d.issuer.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		tokens[who] = tok
	}
	tokens[forgedAdmin], _, _ = forger.Issue(principals[adminA])

	staff := principals[staffA]
	round, err := d.booking.CreateRound(ctx, staff, "ca", booking.RoundInput{Name: "r", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(8 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	_, slots, err := d.booking.AddSite(ctx, staff, round.ID, booking.SiteInput{Name: "东门", Lanes: 2, PerLanePerSlot: 10})
	if err != nil {
		t.Fatal(err)
	}
	notice, err := d.notices.Create(ctx, staff, "ca", notices.NoticeInput{Title: "t", Body: "b", Audience: notices.Audience{All: true}, Channels: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	// An order of the resident's household (its building sealed), and a
	// help request of it.
	if _, err := d.notices.SetZones(ctx, staff, "ca", notices.Buildings(registry.BuildingOf(resident.UserID)), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	merchant, err := d.supplies.CreateMerchant(ctx, staff, "ca", supplies.MerchantInput{Name: "超市", Phone: "13800001111"})
	if err != nil {
		t.Fatal(err)
	}
	item, err := d.supplies.CreateItem(ctx, staff, "ca", supplies.ItemInput{Name: ptr("大米"), Unit: ptr("袋"), PriceFen: ptr(5000),
		MerchantID: &merchant.ID, Stock: ptr(100), LimitPerHousehold: ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	order, err := d.supplies.PlaceOrder(ctx, resident.Principal, "ca", supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: item.ID, Quantity: 1}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	helpReq, err := d.help.Create(ctx, resident.Principal, help.Input{Kind: help.KindMedicalVisit})
	if err != nil {
		t.Fatal(err)
	}
	// A volunteer of cA on a post's shift as A, asked by an activation.
	if err := st.CreateVolunteer(ctx, volunteers.Volunteer{ID: "v1", CommunityID: "ca", Name: "志愿者", Phone: "13700000009",
		Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.volunteers.Decide(ctx, staff, "v1", volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	// Another, for deactivateVolunteer: deactivating v1 would void the
	// volunteer caller's token for the routes after it (a forged token's
	// unknown key makes the verifier read the revocations again).
	if err := st.CreateVolunteer(ctx, volunteers.Volunteer{ID: "v2", CommunityID: "ca", Name: "志愿者乙", Phone: "13700000019",
		Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusApproved, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	post, err := d.volunteers.CreatePost(ctx, staff, "ca", volunteers.PostInput{Kind: "checkpoint", Name: "卡口", Shifts: []volunteers.ShiftInput{
		{StartsAt: now.Add(-time.Hour), EndsAt: now.Add(3 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.volunteers.Assign(ctx, staff, post.ID, volunteers.AssignInput{VolunteerID: "v1", ShiftID: "s1", Role: "A"}); err != nil {
		t.Fatal(err)
	}
	activation, err := d.volunteers.Activate(ctx, staff, "ca", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	// A drill under way, its playbook with one step to tick.
	if _, err := d.playbook.Put(ctx, staff, "ca", playbook.Playbook{Emergency: []playbook.Step{{ID: "s1", Title: "上报"}}}); err != nil {
		t.Fatal(err)
	}
	run, err := d.playbook.Switch(ctx, staff, "ca", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	// A screening list of street sA with a row of the resident: a task of cA.
	listed, err := d.root.Screening().Upload(ctx, principals[adminA], "sa", []byte("姓名,手机号\n居民,13700000001\n"), screening.UploadInput{})
	if err != nil || len(listed.Communities) != 1 {
		t.Fatalf("screening list: %+v, %v", listed, err)
	}
	task := screening.TaskID(listed.List.ID, 2)
	// A watch of the resident's household, for endWatch (opened for one of
	// its members: openWatch's own call takes the household).
	watched, err := d.root.Watch().Open(ctx, staff, "ca", watch.Input{ResidentIDs: []string{resident.UserID}, Kind: watch.KindHealthMonitoring, Reason: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	// A batch to central quarantine of the resident, for the transfer ops.
	when := time.Now().Add(time.Hour).Format(time.RFC3339)
	moved, err := d.root.Watch().CreateTransfer(ctx, staff, "ca", watch.TransferInput{ResidentIDs: []string{resident.UserID}, Pickup: "东门", At: when, Destination: "集中隔离点"})
	if err != nil {
		t.Fatal(err)
	}
	// A reserve item, for the reserve's ops.
	n95, units, protective, floor := "医用外科口罩", "个", "protective", 100
	stock, err := d.root.Reserve().Create(ctx, staff, "ca", reserve.ItemInput{Name: &n95, Unit: &units, Category: &protective, Minimum: &floor})
	if err != nil {
		t.Fatal(err)
	}
	// A loan of v1 to a second community of sA, for its approval.
	if err := st.CreateCommunity(ctx, registry.Community{ID: "ca2", StreetID: "sa", Name: "ca2"}); err != nil {
		t.Fatal(err)
	}
	loan, err := d.root.Volunteers().RequestLoan(ctx, principals[adminA], "ca2", volunteers.LoanInput{VolunteerID: "v1",
		From: now.AddDate(0, 0, 20).Format(time.RFC3339), To: now.AddDate(0, 0, 21).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	// A playbook template of sA.
	tpl, err := d.root.Playbook().SaveTemplate(ctx, principals[adminA], "sa", "", playbook.TemplateInput{Name: "街道标准预案",
		Emergency: []playbook.Step{{ID: "report", Title: "上报街道"}}})
	if err != nil {
		t.Fatal(err)
	}
	// A training of sA, for its attendance.
	training, err := d.root.Volunteers().CreateTraining(ctx, principals[adminA], "sa", volunteers.TrainingInput{Title: "卡口登记规程",
		Day: now.Format(time.DateOnly), PostKinds: []string{"checkpoint"}, Trainer: "街道"})
	if err != nil {
		t.Fatal(err)
	}
	// A designated hospital of sA, for its removal.
	hosp, err := d.root.Care().AddHospital(ctx, principals[adminA], "sa", care.HospitalInput{Name: "兰大一院", Phone: "0931-8625200"})
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.NewReplacer("{templateId}", tpl.ID, "{trainingId}", training.ID, "{loanId}", loan.ID, "{hospitalId}", hosp.ID, "{reserveItemId}", stock.ID, "{transferId}", moved.ID, "WHEN_AT", when, "TODAY", time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly), "{watchId}", watched.ID, "{listId}", listed.List.ID, "{taskId}", task, "TASK", task, "{runId}", run.ID, "{stepId}", "s1", "{communityId}", "ca", "{volunteerId}", "v1", "{postId}", post.ID, "{activationId}", activation.ID, "{streetId}", "sa", "{roundId}", round.ID,
		"{itemId}", item.ID, "{orderId}", order.ID, "{helpId}", helpReq.ID, "MERCHANT", merchant.ID, "ITEM", item.ID,
		"{bookingId}", booking.BookingID(round.ID, resident.UserID), "{residentId}", resident.UserID,
		"{siteId}", booking.SiteOf(slots[0].ID), "{buildingId}", registry.BuildingOf(resident.UserID), "{noticeId}", notice.ID, "SLOT", slots[0].ID, "RESIDENT", resident.UserID,
		"BUILDING", registry.BuildingOf(resident.UserID), "HOUSEHOLD", registry.HouseholdOf(resident.UserID), "{householdId}", registry.HouseholdOf(resident.UserID), "{tubeId}", booking.TubeID(round.ID, "AUTHZ0001"), "{secret}", localCallbackSecret)

	for _, route := range manifest.Routes(manifest.Functions) {
		want, ok := allowed[route.Op]
		if !ok {
			t.Errorf("%s (%s) has no row in the authorization matrix", route.Pattern(), route.Op)
			continue
		}
		path := ids.Replace(route.Path)
		if route.Op == "deactivateVolunteer" {
			path = strings.Replace(path, "/volunteers/v1/", "/volunteers/v2/", 1)
		}
		for _, who := range callers {
			b := bodies[route.Op]
			req := httptest.NewRequest(route.Method, path, strings.NewReader(ids.Replace(b.body)))
			if b.contentType != "" {
				req.Header.Set("Content-Type", b.contentType)
			}
			if tok := tokens[who]; tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var env struct {
				Error struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &env)
			denied := env.Error.Code == "UNAUTHENTICATED" || env.Error.Code == "TOKEN_INVALID" || env.Error.Code == "FORBIDDEN" || env.Error.Code == "NOT_ON_DUTY" ||
				env.Error.Code == "NOT_YOUR_TASK"
			shouldAllow := contains(want, who)
			if denied == shouldAllow {
				t.Errorf("%s as %s: %d %s, want allowed=%v", route.Pattern(), who, rec.Code, rec.Body.String(), shouldAllow)
			}
			if !shouldAllow && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden {
				t.Errorf("%s as %s: status %d for a denial", route.Pattern(), who, rec.Code)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
