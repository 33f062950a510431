package smsflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/symptom"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// The services a reply acts through: the app's own, as the phone's person.

// Accounts finds whose a phone is.
type Accounts interface {
	AccountByPhone(ctx context.Context, phone string) (auth.Account, error)
}

// Passes gives a resident their household's gate code (gate.Service).
type Passes interface {
	CodeFor(ctx context.Context, p auth.Principal) (string, error)
}

// Households reads a household and its members.
type Households interface {
	Household(ctx context.Context, householdID string) (registry.Household, []registry.Resident, error)
}

// Bookings is the booking service.
type Bookings interface {
	Rounds(ctx context.Context, p auth.Principal, communityID string) ([]booking.Round, error)
	Slots(ctx context.Context, p auth.Principal, roundID string) ([]booking.Slot, error)
	BookSteered(ctx context.Context, p auth.Principal, roundID, slotID string, residentIDs []string, key string) (booking.Booked, error)
	HouseholdBookings(ctx context.Context, p auth.Principal) ([]booking.Booking, error)
	Cancel(ctx context.Context, p auth.Principal, bookingID string) (booking.Booking, error)
	SiteName(ctx context.Context, roundID, siteID string) string
}

// Care takes a resident's answer to today's daily check.
type Care interface {
	AnswerCheck(ctx context.Context, p auth.Principal, by string) (care.Check, error)
}

// Temperatures takes readings.
type Temperatures interface {
	Report(ctx context.Context, p auth.Principal, residentID string, celsius float64, symptoms []string) (notices.Reading, error)
}

// Supplies is the supply orders service.
type Supplies interface {
	Items(ctx context.Context, p auth.Principal, cid string) ([]supplies.ItemView, error)
	PlaceOrder(ctx context.Context, p auth.Principal, cid string, in supplies.OrderInput, key string) (supplies.Order, error)
	HouseholdOrders(ctx context.Context, p auth.Principal) ([]supplies.Order, error)
}

// Helps takes help requests.
type Helps interface {
	Create(ctx context.Context, p auth.Principal, in help.Input) (help.Request, error)
}

// Volunteers answers calls and checks in.
type Volunteers interface {
	RespondLatest(ctx context.Context, p auth.Principal, answer string) ([]volunteers.Ask, error)
	CheckInByCode(ctx context.Context, p auth.Principal, code string) (volunteers.Checkin, error)
	CheckOutByCode(ctx context.Context, p auth.Principal, code string) (volunteers.Checkin, error)
}

// MenuItem is one numbered line of the supply menu a phone was texted.
type MenuItem struct {
	ItemID   string `json:"itemId"`
	Name     string `json:"name"`
	PriceFen int    `json:"priceFen"`
}

// Menus keeps the menu each phone was last texted, so that "订 2" means
// the second item of the menu the person read, whatever changed since.
type Menus interface {
	SaveMenu(ctx context.Context, phone string, menu []MenuItem, expires time.Time) error
	Menu(ctx context.Context, phone string, now time.Time) ([]MenuItem, error)
}

// Limiter counts replies per phone (the store's windows).
type Limiter interface {
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
}

// Once keeps a message to one handling.
type Once interface {
	ClaimOnce(ctx context.Context, key, phone string) (bool, error)
	ReleaseOnce(ctx context.Context, key, phone string) error
}

// none is no reply.
var none sms.Message

// DefaultRepliesPerHour ends loops with auto-responders: a phone gets at
// most this many replies an hour (what it asks is still done).
const DefaultRepliesPerHour = 10

// Flow acts on the SMS phones send.
type Flow struct {
	Accounts   Accounts
	Households Households
	Bookings   Bookings
	Temps      Temperatures
	Care       Care
	Supplies   Supplies
	Helps      Helps
	Volunteers Volunteers
	Menus      Menus
	Passes     Passes
	// Outbox takes the replies to the dispatch queue (paced, opt-outs
	// honoured).
	Outbox         *dispatch.Outbox
	Limiter        Limiter
	Once           Once
	RepliesPerHour int
	Now            func() time.Time
}

var _ dispatch.InboundHandler = (*Flow)(nil)

// Handle acts on one inbound SMS, once per key however often it arrives,
// and answers it. A failure worth retrying gives the key back.
func (f *Flow) Handle(ctx context.Context, m dispatch.InboundSMS) error {
	first, err := f.Once.ClaimOnce(ctx, "sms-flow:"+m.Key, m.From)
	if err != nil || !first {
		return err
	}
	reply, cid, err := f.act(ctx, m)
	if err != nil {
		return errors.Join(err, f.Once.ReleaseOnce(ctx, "sms-flow:"+m.Key, m.From))
	}
	if reply.IsZero() {
		return nil
	}
	limit := f.RepliesPerHour
	if limit <= 0 {
		limit = DefaultRepliesPerHour
	}
	wait, err := f.Limiter.Take(ctx, "sms-reply:"+m.From, limit, time.Hour, f.Now())
	if err != nil {
		return err
	}
	if wait > 0 {
		logging.From(ctx).Warn("SMS reply held back: the phone's replies this hour are used", "from", logging.MaskPhone(m.From))
		return nil
	}
	// What the SMS asked is done: its answer goes to the queue, or waits
	// for the sweep, but is not lost with a retry that finds it done.
	return f.Outbox.Deliver(ctx, f.Now(), dispatch.TextMessages(ctx, cid, []dispatch.Text{dispatch.TextOf("sms-answer:"+m.Key, m.From, reply)})...)
}

// act does what the SMS asks and says what to reply (nothing, for an
// unknown phone answered today already), and the community the reply is
// spent for (none for an unknown phone).
func (f *Flow) act(ctx context.Context, m dispatch.InboundSMS) (sms.Message, string, error) {
	cmd := Parse(m.Text)
	kind := cmd.Kind
	if kind == Unknown {
		kind = "unknown"
	}
	metrics.Count(metrics.InboundSMS, 1, "Keyword", kind)
	acct, err := f.Accounts.AccountByPhone(ctx, m.From)
	if errors.Is(err, auth.ErrNoAccount) {
		// One polite reply a day, and never data.
		day := chinatime.In(f.Now()).Format(time.DateOnly)
		first, err := f.Once.ClaimOnce(ctx, "sms-unknown:"+day, m.From)
		if err != nil || !first {
			return none, "", err
		}
		msg, err := sms.ReplyUnknown()
		return msg, "", err
	}
	if err != nil {
		return none, "", err
	}
	p := acct.Principal
	key := idempotencyKey(m.Key)
	var msg sms.Message
	switch cmd.Kind {
	case Book:
		msg, err = f.book(ctx, p, m.From, cmd, key)
	case Cancel:
		msg, err = f.cancel(ctx, p, m.From, cmd)
	case Query:
		msg, err = f.query(ctx, p, m.From)
	case Temp:
		msg, err = f.temperature(ctx, p, m.From, cmd)
	case Order:
		msg, err = f.order(ctx, p, m.From, cmd, key)
	case Help:
		msg, err = f.help(ctx, p, m.From, cmd)
	case Yes, No:
		msg, err = f.answer(ctx, p, cmd.Kind == Yes)
	case CheckIn:
		msg, err = f.checkIn(ctx, p, cmd.Code)
	case CheckOut:
		msg, err = f.checkOut(ctx, p, cmd.Code)
	case Start:
		msg, err = sms.ReplyStarted()
	case Pass:
		var code string
		if code, err = f.Passes.CodeFor(ctx, p); err == nil {
			msg, err = sms.ReplyPass(code)
		}
	default:
		msg, err = sms.ReplyKeywords()
	}
	if e := apperr.As(err); err != nil && e.Kind != apperr.KindInternal && e.Kind != apperr.KindUnavailable {
		logging.From(ctx).Info("SMS keyword refused", "from", logging.MaskPhone(m.From), "kind", cmd.Kind, "code", e.Code)
		msg, err := sms.ReplyRefused(reasonOf(err))
		return msg, p.CommunityID, err
	}
	return msg, p.CommunityID, err
}

// idempotencyKey makes an inbound message's key one the services take.
func idempotencyKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sms:" + hex.EncodeToString(sum[:12])
}

// refusal is a refusal of the flow's own, with its reason's code.
func refusal(code string) *apperr.Error {
	return apperr.New(apperr.KindConflict, code, code, code)
}

// The flows' own refusals.
var (
	errNotAResident  = refusal("NOT_A_RESIDENT")
	errNotAVolunteer = refusal("NOT_A_VOLUNTEER")
	errNoSuchNumber  = refusal("NO_SUCH_NUMBER")
	errNoRound       = refusal("NO_ROUND")
	errNoSlot        = refusal("NO_SLOT")
	errNothingBooked = refusal("NOT_BOOKED")
	errNoItems       = refusal("NO_ITEMS")
	errItemGone      = refusal("ITEM_GONE")
)

// Reason is a refusal said in a few words, as an SMS can.
type Reason struct {
	Err   *apperr.Error
	Words string
}

// Reasons are the refusals an SMS can carry, by the error each says.
var Reasons = []Reason{
	{booking.ErrSlotFull, "该时段已满"}, {booking.ErrSlotUnavailable, "该时段已关闭"}, {booking.ErrSlotPassed, "该时段已过"},
	{booking.ErrRoundNotOpen, "不在采样时间内"}, {booking.ErrRoundNotFound, "当前没有检测安排"}, {booking.ErrAlreadySampled, "本轮已采样"},
	{booking.ErrNotBooked, "没有可取消的预约"}, {errNothingBooked, "没有可取消的预约"}, {errNoSlot, "本轮暂无可约时段"},
	{errNoRound, "当前没有检测安排"},
	{notices.ErrImplausible, "体温数值不合理，请复测"}, {notices.ErrImplausibleChange, "与上次相差过大，请复测"},
	{notices.ErrReportBusy, "请稍后再发"}, {supplies.ErrOutOfStock, "库存不足"}, {supplies.ErrLimitExceeded, "超出每户每日限购"},
	{supplies.ErrItemPaused, "该物品已暂停供应"}, {supplies.ErrItemChanged, "价格已变，请回复“订”看新菜单"}, {supplies.ErrNotInZone, "您家不在封控、管控区，不能下单"},
	{errNoItems, "暂无可订物品"}, {errItemGone, "该物品已售罄或暂停，请回复“订”看新菜单"}, {errNoSuchNumber, "没有这个序号"},
	{help.ErrAlreadyOpen, "同类求助正在处理"},
	{volunteers.ErrNotAsked, "当前没有待回复的召集"}, {volunteers.ErrNotOnShift, "当前没有您的班次"}, {volunteers.ErrCodeRefused, "到岗码错误或已过期"},
	{volunteers.ErrCheckedIn, "您已签到"}, {volunteers.ErrCodeTries, "错误次数过多，请稍后再试"}, {volunteers.ErrNotCheckedIn, "您未在该岗位签到"},
	{errNotAResident, "本号码未登记为居民"}, {errNotAVolunteer, "本号码不是志愿者"},
}

// reasonOf is err in a few words; a refusal without its own, in general ones.
func reasonOf(err error) string {
	for _, r := range Reasons {
		if errors.Is(err, r.Err) {
			return r.Words
		}
	}
	return "暂时无法办理"
}

// candidates are who the phone acts for: its own resident, and, on the
// household's phone, the members who have none. Numbered as replies list
// them.
func (f *Flow) candidates(ctx context.Context, p auth.Principal, phone string) ([]registry.Resident, error) {
	if !p.Has(manifest.RoleResident) {
		return nil, errNotAResident
	}
	h, members, err := f.Households.Household(ctx, p.HouseholdID)
	if err != nil {
		return nil, err
	}
	var out []registry.Resident
	for _, r := range members {
		if r.ID == p.ResidentID {
			out = append([]registry.Resident{r}, out...)
		} else if r.Phone == "" && h.ContactPhone == phone {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errNotAResident
	}
	return out[:min(len(out), 9)], nil
}

// pick is the member a command means, or a reply asking which.
func (f *Flow) pick(ctx context.Context, p auth.Principal, phone string, cmd Command, example string) (registry.Resident, sms.Message, error) {
	cands, err := f.candidates(ctx, p, phone)
	if err != nil {
		return registry.Resident{}, none, err
	}
	switch {
	case cmd.Member > len(cands):
		return registry.Resident{}, none, errNoSuchNumber
	case cmd.Member > 0:
		return cands[cmd.Member-1], none, nil
	case len(cands) == 1:
		return cands[0], none, nil
	}
	var list []string
	for i, c := range cands {
		list = append(list, fmt.Sprintf("%d%s", i+1, c.Name))
	}
	ask, err := sms.ReplyChoose(strings.Join(list, " "), example)
	return registry.Resident{}, ask, err
}

// realBookings are the household's bookings outside drills: an SMS is real,
// and so is what it cancels or lists.
func (f *Flow) realBookings(ctx context.Context, p auth.Principal) ([]booking.Booking, error) {
	bs, err := f.Bookings.HouseholdBookings(ctx, p)
	if err != nil {
		return nil, err
	}
	rounds, err := f.Bookings.Rounds(ctx, p, p.ResidentCommunityID)
	if err != nil {
		return nil, err
	}
	drills := map[string]bool{}
	for _, r := range rounds {
		drills[r.ID] = r.Drill != ""
	}
	return slices.DeleteFunc(bs, func(b booking.Booking) bool { return drills[b.RoundID] }), nil
}

// currentRound is the community's round not yet over that started last. A
// drill's round is never it: a text to the service is real, and so is its
// answer.
func (f *Flow) currentRound(ctx context.Context, p auth.Principal) (booking.Round, error) {
	rounds, err := f.Bookings.Rounds(ctx, p, p.ResidentCommunityID)
	if err != nil {
		return booking.Round{}, err
	}
	now := f.Now()
	var cur *booking.Round
	for i, r := range rounds {
		if r.Drill == "" && r.EndsAt.After(now) && (cur == nil || r.StartsAt.After(cur.StartsAt)) {
			cur = &rounds[i]
		}
	}
	if cur == nil {
		return booking.Round{}, errNoRound
	}
	return *cur, nil
}

// maxTries bounds the slots one BOOK tries (those outside the building's
// window or full are skipped).
const maxTries = 24

func (f *Flow) book(ctx context.Context, p auth.Principal, phone string, cmd Command, key string) (sms.Message, error) {
	who, ask, err := f.pick(ctx, p, phone, cmd, "预约 2")
	if err != nil || !ask.IsZero() {
		return ask, err
	}
	r, err := f.currentRound(ctx, p)
	if err != nil {
		return none, err
	}
	live, err := f.realBookings(ctx, p)
	if err != nil {
		return none, err
	}
	for _, b := range live {
		if b.RoundID == r.ID && b.ResidentID == who.ID {
			// Booked already (or this very message, retried): say so.
			site := f.Bookings.SiteName(ctx, r.ID, booking.SiteOf(b.SlotID))
			return sms.ReplyBooked(who.Name, b.StartsAt, site, b.Code)
		}
	}
	slots, err := f.Bookings.Slots(ctx, p, r.ID)
	if err != nil {
		return none, err
	}
	now, tries := f.Now(), 0
	for _, sl := range slots {
		if sl.Booked >= sl.Capacity || !sl.EndsAt.After(now) {
			continue
		}
		if tries > maxTries {
			break
		}
		res, err := f.Bookings.BookSteered(ctx, p, r.ID, sl.ID, []string{who.ID}, key)
		if err == nil && len(res.Bookings) > 0 {
			b := res.Bookings[0]
			return sms.ReplyBooked(who.Name, b.StartsAt, f.Bookings.SiteName(ctx, r.ID, sl.SiteID), b.Code)
		}
		switch {
		case errors.Is(err, booking.ErrOutsideWindow):
			continue // refused before any write: outside the window costs nothing
		case errors.Is(err, booking.ErrSlotFull), errors.Is(err, booking.ErrSlotUnavailable), errors.Is(err, booking.ErrSlotPassed):
			tries++ // a race for the place: try the next, a few times
			continue
		}
		if err == nil {
			err = errors.New("smsflow: a booking answered no booking")
		}
		return none, err
	}
	return none, errNoSlot
}

func (f *Flow) cancel(ctx context.Context, p auth.Principal, phone string, cmd Command) (sms.Message, error) {
	who, ask, err := f.pick(ctx, p, phone, cmd, "取消 2")
	if err != nil || !ask.IsZero() {
		return ask, err
	}
	live, err := f.realBookings(ctx, p)
	if err != nil {
		return none, err
	}
	for _, b := range live {
		if b.ResidentID != who.ID {
			continue
		}
		if _, err := f.Bookings.Cancel(ctx, p, b.ID); err != nil {
			return none, err
		}
		return sms.ReplyCancelled(who.Name, b.StartsAt)
	}
	return none, errNothingBooked
}

// statusWords say an order's status in an SMS.
var statusWords = map[string]string{supplies.StatusPlaced: "待受理", supplies.StatusAccepted: "已受理", supplies.StatusPurchasing: "采购中",
	supplies.StatusOutForDelivery: "配送中", supplies.StatusDelivered: "已送达", supplies.StatusConfirmed: "已收货", supplies.StatusCancelled: "已取消"}

func (f *Flow) query(ctx context.Context, p auth.Principal, phone string) (sms.Message, error) {
	if !p.Has(manifest.RoleResident) {
		return none, errNotAResident
	}
	_, members, err := f.Households.Household(ctx, p.HouseholdID)
	if err != nil {
		return none, err
	}
	names := map[string]string{}
	for _, r := range members {
		names[r.ID] = r.Name
	}
	live, err := f.realBookings(ctx, p)
	if err != nil {
		return none, err
	}
	var bs []string
	today := chinatime.In(f.Now()).Format(time.DateOnly)
	for _, b := range live {
		at := chinatime.In(b.StartsAt)
		when := at.Format("15:04") // today's, as people say it
		if at.Format(time.DateOnly) != today {
			when = at.Format("1月2日15:04")
		}
		bs = append(bs, fmt.Sprintf("%s%s码%s", names[b.ResidentID], when, b.Code))
	}
	orders, err := f.Supplies.HouseholdOrders(ctx, p)
	if err != nil {
		return none, err
	}
	open, latest := 0, ""
	for _, o := range orders {
		if o.Status != supplies.StatusConfirmed && o.Status != supplies.StatusCancelled && o.Status != supplies.StatusDelivered {
			open++
			if latest == "" {
				latest = statusWords[o.Status]
			}
		}
	}
	bookings, orderText := "无", "无"
	if len(bs) > 0 {
		bookings = strings.Join(bs, "，")
	}
	if open > 0 {
		orderText = fmt.Sprintf("%d单未完成，最近%s", open, latest)
	}
	return sms.ReplyStatus(bookings, orderText)
}

func (f *Flow) temperature(ctx context.Context, p auth.Principal, phone string, cmd Command) (sms.Message, error) {
	who, ask, err := f.pick(ctx, p, phone, cmd, "体温 36.5 2")
	if err != nil || !ask.IsZero() {
		return ask, err
	}
	reading, err := f.Temps.Report(ctx, p, who.ID, cmd.Celsius, cmd.Symptoms)
	if err != nil {
		return none, err
	}
	advice := ""
	if reading.Fever || (reading.Watched && symptom.Any(reading.Symptoms)) {
		advice = "体温偏高，社区将联系您"
	} else {
		advice = "谢谢配合"
	}
	return sms.ReplyTemperature(who.Name, reading.Celsius, advice)
}

func (f *Flow) order(ctx context.Context, p auth.Principal, phone string, cmd Command, key string) (sms.Message, error) {
	if !p.Has(manifest.RoleResident) {
		return none, errNotAResident
	}
	items, err := f.Supplies.Items(ctx, p, p.ResidentCommunityID)
	if err != nil {
		return none, err
	}
	menu, err := f.Menus.Menu(ctx, phone, f.Now())
	if err != nil {
		return none, err
	}
	if len(cmd.Lines) == 0 || len(menu) == 0 {
		// The menu, numbered as this phone will order from it.
		if len(items) == 0 {
			return none, errNoItems
		}
		menu = menu[:0]
		var lines []string
		for i, it := range items {
			menu = append(menu, MenuItem{ItemID: it.ID, Name: it.Name, PriceFen: it.PriceFen})
			lines = append(lines, fmt.Sprintf("%d%s%s元", i+1, it.Name, yuan(it.PriceFen)))
		}
		if err := f.Menus.SaveMenu(ctx, phone, menu, f.Now().Add(menuLife)); err != nil {
			return none, err
		}
		return sms.ReplyMenu(strings.Join(lines, " "))
	}
	orderable := map[string]bool{}
	for _, it := range items {
		orderable[it.ID] = true
	}
	in := supplies.OrderInput{}
	var names []string
	for _, l := range cmd.Lines {
		if l.Item > len(menu) {
			return none, errNoSuchNumber
		}
		it := menu[l.Item-1]
		if !orderable[it.ItemID] {
			return none, errItemGone
		}
		price := it.PriceFen
		// The price the menu showed is the price: a change since refuses
		// the order rather than charge another.
		in.Lines = append(in.Lines, supplies.OrderLineInput{ItemID: it.ItemID, Quantity: l.Quantity, PriceFen: &price})
		names = append(names, fmt.Sprintf("%s×%d", it.Name, l.Quantity))
	}
	o, err := f.Supplies.PlaceOrder(ctx, p, p.ResidentCommunityID, in, key)
	if err != nil {
		return none, err
	}
	return sms.ReplyOrdered(o.Ref(), strings.Join(names, " "), o.TotalFen, o.DoorCode)
}

// menuLife is how long a texted menu's numbers hold.
const menuLife = 24 * time.Hour

func yuan(fen int) string {
	if fen%100 == 0 {
		return strconv.Itoa(fen / 100)
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// helpKinds guess a help request's kind from its words, most urgent
// first; other otherwise.
var helpKinds = []struct {
	kind  string
	words []string
}{
	{help.KindChildbirth, []string{"要生了", "生孩子", "临产", "羊水", "破水", "分娩", "宫缩", "阵痛", "待产", "见红"}},
	{help.KindDialysis, []string{"透析"}},
	{help.KindMedicalVisit, []string{"医院", "看病", "医生", "急诊", "就医", "发烧", "发热", "疼", "痛", "晕", "血", "摔"}},
	{help.KindChronicMedicine, []string{"药"}},
}

func (f *Flow) help(ctx context.Context, p auth.Principal, phone string, cmd Command) (sms.Message, error) {
	cands, err := f.candidates(ctx, p, phone)
	if err != nil {
		return none, err
	}
	// Help does not wait for a member's number: the phone's own person,
	// unless a number was given.
	who := cands[0]
	if cmd.Member > 0 && cmd.Member <= len(cands) {
		who = cands[cmd.Member-1]
	}
	kind := help.KindOther
	for _, k := range helpKinds {
		for _, w := range k.words {
			if strings.Contains(cmd.Text, w) {
				kind = k.kind
				break
			}
		}
		if kind != help.KindOther {
			break
		}
	}
	r, err := f.Helps.Create(ctx, p, help.Input{Kind: kind, Note: Clip(cmd.Text, 200), ResidentID: who.ID})
	if err != nil {
		return none, err
	}
	return sms.ReplyHelp(int(r.DeadlineAt.Sub(r.CreatedAt).Minutes()))
}

// answer takes 是 or 否: a volunteer's answer to their latest call, else
// a resident's 是 to today's daily check (报平安).
func (f *Flow) answer(ctx context.Context, p auth.Principal, yes bool) (sms.Message, error) {
	safe := yes && p.Has(manifest.RoleResident) && f.Care != nil
	if p.Has(manifest.RoleVolunteer) {
		answer, words := "decline", "不能到岗"
		if yes {
			answer, words = "accept", "到岗"
		}
		_, err := f.Volunteers.RespondLatest(ctx, p, answer)
		if err == nil {
			return sms.ReplyAnswer(words)
		}
		if !safe || !errors.Is(err, volunteers.ErrNotAsked) {
			return none, err
		}
	}
	if !safe {
		return none, errNotAVolunteer
	}
	if _, err := f.Care.AnswerCheck(ctx, p, "sms"); err != nil {
		return none, err
	}
	return sms.ReplyAnswer("平安")
}

func (f *Flow) checkIn(ctx context.Context, p auth.Principal, code string) (sms.Message, error) {
	if !p.Has(manifest.RoleVolunteer) {
		return none, errNotAVolunteer
	}
	c, err := f.Volunteers.CheckInByCode(ctx, p, code)
	if err != nil {
		return none, err
	}
	return sms.ReplyCheckedIn(c.Post, c.In)
}

func (f *Flow) checkOut(ctx context.Context, p auth.Principal, code string) (sms.Message, error) {
	if !p.Has(manifest.RoleVolunteer) {
		return none, errNotAVolunteer
	}
	c, err := f.Volunteers.CheckOutByCode(ctx, p, code)
	if err != nil {
		return none, err
	}
	return sms.ReplyCheckedOut(c.Post, c.Minutes)
}
