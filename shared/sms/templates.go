package sms

import (
	"fmt"
	"time"
)

// The templates. Each has a constructor that takes typed values, so a caller
// cannot pass a body, only the parameters the template has.
var (
	signInCode = &Template{Name: "signin_code", Purpose: "signin", MaxParts: 1,
		Text:   "您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略。",
		Params: []Param{{"code", Digits, 6}, {"minutes", Digits, 2}}}
	// A sign-up code has words of its own: a stranger who types another's
	// number into a sign-up form must not make it read like a sign-in.
	signupCode = &Template{Name: "signup_code", Purpose: "signup", MaxParts: 1,
		Text:   "您正在报名社区志愿者，验证码为{code}，{minutes}分钟内有效。如非本人报名，请忽略。",
		Params: []Param{{"code", Digits, 6}, {"minutes", Digits, 2}}}
	bookingConfirmed = &Template{Name: "booking_confirmed", Purpose: "booking", MaxParts: 1,
		Text:   "社区已为{name}预约核酸检测：{time}，{site}，预约码{code}，请按时前往。",
		Params: []Param{{"name", Text, 6}, {"time", Clock, 11}, {"site", Text, 10}, {"code", Code, 6}}}
	bookingChanged = &Template{Name: "booking_changed", Purpose: "booking", MaxParts: 1,
		Text:   "社区已将{name}的核酸预约改至{time}，{site}，预约码{code}。",
		Params: []Param{{"name", Text, 6}, {"time", Clock, 11}, {"site", Text, 10}, {"code", Code, 6}}}
	bookingWithdrawn = &Template{Name: "booking_withdrawn", Purpose: "booking", MaxParts: 1,
		Text:   "社区已取消{name}（{time}）的核酸预约，如需检测请联系社区。",
		Params: []Param{{"name", Text, 6}, {"time", Clock, 11}}}
	bookingMoved = &Template{Name: "booking_moved", Purpose: "booking", MaxParts: 1,
		Text:   "{closed}采样点关闭，{name}的核酸预约改至{site}，{time}，预约码{code}。",
		Params: []Param{{"closed", Text, 8}, {"name", Text, 6}, {"site", Text, 8}, {"time", Clock, 11}, {"code", Code, 6}}}
	bookingCancelled = &Template{Name: "booking_cancelled", Purpose: "booking", MaxParts: 1,
		Text:   "{closed}采样点关闭且他处已满，{name}（{time}）的核酸预约已取消，请重新预约。",
		Params: []Param{{"closed", Text, 8}, {"name", Text, 6}, {"time", Clock, 11}}}
	// A call-down (整楼带进带出): the building's turn is now.
	buildingCalled = &Template{Name: "building_called", Purpose: "booking", MaxParts: 1,
		Text:   "{building}居民请现在下楼到{site}采样点做核酸，请戴好口罩、保持间距，带好手机或预约码。",
		Params: []Param{{"building", Text, 8}, {"site", Text, 8}}}
	// A pooled tube came back positive (混管阳性): the household stays in
	// place until its people are sampled singly at the door (单采复核).
	traceHold = &Template{Name: "trace_hold", Purpose: "trace", MaxParts: 1,
		Text:   "{door}住户：您家有人所在混管检测异常，请全家原地居家、不要外出，等待工作人员上门单采复核。",
		Params: []Param{{"door", Text, 12}}}
	// Every single sample of the household's people came back negative.
	traceReleased = &Template{Name: "trace_released", Purpose: "trace", MaxParts: 1,
		Text:   "{door}住户：单采复核结果均为阴性，原地居家要求解除，感谢配合。",
		Params: []Param{{"door", Text, 12}}}
	// A trace's door list is past its deadline with single samples still
	// to take: to staff on duty, then every staff member and the street.
	traceOverdue = &Template{Name: "trace_overdue", Purpose: "trace", MaxParts: 1,
		Text:   "单采超时：{door}等{households}户尚有{people}人未上门单采，已超时{minutes}分钟，请速安排。",
		Params: []Param{{"door", Text, 12}, {"households", Digits, 2}, {"people", Digits, 3}, {"minutes", Digits, 3}}}
	// A screening list's doors are past their deadline unverified: to
	// staff on duty, then every staff member and the street.
	screeningOverdue = &Template{Name: "screening_overdue", Purpose: "screening", MaxParts: 1,
		Text:   "协查超时：{list}尚有{people}人未入户核查，已超时{minutes}分钟，请速安排并反馈。",
		Params: []Param{{"list", Text, 10}, {"people", Digits, 3}, {"minutes", Digits, 3}}}
	// A household's people put under a watch (home isolation or health
	// monitoring), and its end.
	watchStarted = &Template{Name: "watch_started", Purpose: "watch", MaxParts: 1,
		Text:   "{door}住户：按防控要求，您家有人需{kind}{days}天，请配合社区管理，每日早晚报告体温。",
		Params: []Param{{"door", Text, 12}, {"kind", Text, 4}, {"days", Digits, 2}}}
	watchEnded = &Template{Name: "watch_ended", Purpose: "watch", MaxParts: 1,
		Text:   "{door}住户：{kind}已解除，感谢配合。",
		Params: []Param{{"door", Text, 12}, {"kind", Text, 4}}}
	// A person under watch reported a fever or a symptom: to the
	// community's staff, once a person and window.
	watchAlert = &Template{Name: "watch_alert", Purpose: "watch", MaxParts: 1,
		Text:   "隔离观察预警：{name}（{door}）{window}体温{celsius}℃，{symptoms}，请处置。",
		Params: []Param{{"name", Text, 8}, {"door", Text, 12}, {"window", Text, 2}, {"celsius", Decimal, 4}, {"symptoms", Text, 12}}}
	// A person taken to central quarantine (or back): when, where from,
	// where to, and what to bring.
	transferNotice = &Template{Name: "transfer_notice", Purpose: "watch", MaxParts: 2,
		Text:   "{name}：请于{time}到{place}集合，转运至{dest}。请带身份证、手机和充电器、常用药、换洗衣物。",
		Params: []Param{{"name", Text, 8}, {"time", Clock, 11}, {"place", Text, 12}, {"dest", Text, 12}}}
	// The daily check of a person with a care plan (报平安).
	careCheck = &Template{Name: "care_check", Purpose: "care", MaxParts: 1,
		Text:   "{name}您好，社区今日问候：一切平安请回复“是”，需要帮助请回复“求助+情况”。",
		Params: []Param{{"name", Text, 8}}}
	// A published plan: the household's building, window and site.
	roundWindow = &Template{Name: "round_window", Purpose: "booking", MaxParts: 1,
		Text:   "{building}核酸时间{time}起，地点{site}，届时听楼栋长通知下楼。",
		Params: []Param{{"building", Text, 8}, {"time", Clock, 11}, {"site", Text, 8}}}
	temperatureReminder = &Template{Name: "temperature_reminder", Purpose: "temperature", MaxParts: 1,
		Text: "请今日完成体温报备：回复“体温 36.5”或在小程序中填报。"}
	feverAlert = &Template{Name: "fever_alert", Purpose: "temperature", MaxParts: 1,
		Text:   "发热预警：{name}（{address}）报备体温{celsius}℃，电话{phone}，请及时处置。",
		Params: []Param{{"name", Text, 8}, {"address", Text, 14}, {"celsius", Decimal, 4}, {"phone", MaskedPhone, 11}}}
	orderUpdate = &Template{Name: "order_update", Purpose: "supplies", MaxParts: 1,
		Text:   "您的物资订单{order}{status}。如有疑问请联系社区。",
		Params: []Param{{"order", Code, 6}, {"status", Text, 6}}}
	orderOnTheWay = &Template{Name: "order_on_the_way", Purpose: "supplies", MaxParts: 1,
		Text:   "您的物资订单{order}正在配送，送达时请向配送人员出示取货码{code}。",
		Params: []Param{{"order", Code, 6}, {"code", Digits, 4}}}
	orderHandedOver = &Template{Name: "order_handed_over", Purpose: "supplies", MaxParts: 1,
		Text:   "您的物资订单{order}已交付，未核对取货码，原因：{reason}。如未收到请立即联系社区。",
		Params: []Param{{"order", Code, 6}, {"reason", Text, 20}}}
	orderCancelled = &Template{Name: "order_cancelled", Purpose: "supplies", MaxParts: 1,
		Text:   "您的物资订单{order}已取消，原因：{reason}。如有需要请联系社区。",
		Params: []Param{{"order", Code, 6}, {"reason", Text, 20}}}
	helpNew = &Template{Name: "help_new", Purpose: "help", MaxParts: 1,
		Text:   "紧急求助：{kind}，{address}，{name}，电话{phone}，请{minutes}分钟内响应。",
		Params: []Param{{"kind", Text, 4}, {"address", Text, 12}, {"name", Text, 6}, {"phone", MaskedPhone, 11}, {"minutes", Digits, 3}}}
	helpOverdue = &Template{Name: "help_overdue", Purpose: "help", MaxParts: 1,
		Text:   "超时未响应求助：{kind}，{address}，{name}，电话{phone}，已等{minutes}分钟，速处置。",
		Params: []Param{{"kind", Text, 4}, {"address", Text, 12}, {"name", Text, 6}, {"phone", MaskedPhone, 11}, {"minutes", Digits, 3}}}
	// The same two with the designated hospital of the person (their care
	// plan's, else the street's first) and its 24-hour phone: a medical
	// request is dealt with by calling it.
	helpNewHospital = &Template{Name: "help_new_hospital", Purpose: "help", MaxParts: 2,
		Text:   "紧急求助：{kind}，{address}，{name}，电话{phone}，定点医院{hospital}（24小时{hphone}），请{minutes}分钟内响应。",
		Params: []Param{{"kind", Text, 4}, {"address", Text, 12}, {"name", Text, 6}, {"phone", MaskedPhone, 11}, {"hospital", Text, 12}, {"hphone", PublicPhone, 16}, {"minutes", Digits, 3}}}
	helpOverdueHospital = &Template{Name: "help_overdue_hospital", Purpose: "help", MaxParts: 2,
		Text:   "超时未响应求助：{kind}，{address}，{name}，电话{phone}，定点医院{hospital}（24小时{hphone}），已等{minutes}分钟，速处置。",
		Params: []Param{{"kind", Text, 4}, {"address", Text, 12}, {"name", Text, 6}, {"phone", MaskedPhone, 11}, {"hospital", Text, 12}, {"hphone", PublicPhone, 16}, {"minutes", Digits, 3}}}
	helpClaimed = &Template{Name: "help_claimed", Purpose: "help", MaxParts: 1,
		Text:   "您的求助（{kind}）社区已响应，工作人员将尽快联系您，请保持电话畅通。",
		Params: []Param{{"kind", Text, 4}}}
	volunteerApproved = &Template{Name: "volunteer_approved", Purpose: "volunteer", MaxParts: 1,
		Text:   "{name}，您已成为{community}志愿者，请用本手机号登录小程序查看岗位。",
		Params: []Param{{"name", Text, 6}, {"community", Text, 10}}}
	volunteerCall = &Template{Name: "volunteer_call", Purpose: "volunteer", MaxParts: 1,
		Text:   "{name}，{post}{time}需您到岗，请{minutes}分钟内在小程序回应，或回复“是”/“否”。",
		Params: []Param{{"name", Text, 6}, {"post", Text, 10}, {"time", Clock, 11}, {"minutes", Digits, 2}}}
	volunteerBackup = &Template{Name: "volunteer_backup", Purpose: "volunteer", MaxParts: 1,
		Text:   "{name}，您是{post}{time}的B岗，A岗未到，请{minutes}分钟内回应，或回复“是”/“否”。",
		Params: []Param{{"name", Text, 6}, {"post", Text, 10}, {"time", Clock, 11}, {"minutes", Digits, 2}}}
	shiftUnfilled = &Template{Name: "shift_unfilled", Purpose: "volunteer", MaxParts: 1,
		Text:   "岗位缺人：{post}{time}还差{missing}人，A、B岗均未响应，请尽快调配。",
		Params: []Param{{"post", Text, 10}, {"time", Clock, 11}, {"missing", Digits, 2}}}
	replyPass = &Template{Name: "reply_pass", Purpose: "reply", MaxParts: 1,
		Text:   "您家的通行码：{code}。出入卡口时报此码，请勿转给他人。",
		Params: []Param{{"code", Code, 6}}}
	replyKeywords = &Template{Name: "reply_keywords", Purpose: "reply", MaxParts: 1,
		Text: "可回复：预约 取消 查询 体温36.5 订 求助+情况；志愿者：是 否 到岗/离岗+码；退订回TD"}
	replyUnknown = &Template{Name: "reply_unknown", Purpose: "reply", MaxParts: 1,
		Text: "本号码未在社区登记，无法办理。如需登记请联系社区工作人员。"}
	replyChoose = &Template{Name: "reply_choose", Purpose: "reply", MaxParts: 1,
		Text:   "为谁办理？{members}。请在关键词后加序号回复，如：{example}",
		Params: []Param{{"members", Text, 24}, {"example", Text, 10}}}
	replyBooked = &Template{Name: "reply_booked", Purpose: "reply", MaxParts: 1,
		Text:   "{name}已约{time}，{site}，预约码{code}。回复“取消”可取消。",
		Params: []Param{{"name", Text, 6}, {"time", Clock, 11}, {"site", Text, 8}, {"code", Code, 6}}}
	replyCancelled = &Template{Name: "reply_cancelled", Purpose: "reply", MaxParts: 1,
		Text:   "{name}{time}的核酸预约已取消。回复“预约”可重新预约。",
		Params: []Param{{"name", Text, 6}, {"time", Clock, 11}}}
	// A household's bookings may take a second part: a code cut off is no
	// use at the site.
	replyStatus = &Template{Name: "reply_status", Purpose: "reply", MaxParts: 2,
		Text:   "预约：{bookings}；订单：{orders}",
		Params: []Param{{"bookings", Text, 100}, {"orders", Text, 16}}}
	replyTemperature = &Template{Name: "reply_temperature", Purpose: "reply", MaxParts: 1,
		Text:   "{name}今日体温{celsius}℃已记录，{advice}。",
		Params: []Param{{"name", Text, 6}, {"celsius", Decimal, 4}, {"advice", Text, 20}}}
	replyMenu = &Template{Name: "reply_menu", Purpose: "reply", MaxParts: 2,
		Text:   "可订：{menu}。回复如“订 1×2”下单。",
		Params: []Param{{"menu", Text, 100}}}
	replyOrdered = &Template{Name: "reply_ordered", Purpose: "reply", MaxParts: 1,
		Text:   "已下单{order}：{items}，共{yuan}元，送达时出示取货码{code}。",
		Params: []Param{{"order", Code, 6}, {"items", Text, 14}, {"yuan", Decimal, 8}, {"code", Digits, 4}}}
	replyRefused = &Template{Name: "reply_refused", Purpose: "reply", MaxParts: 1,
		Text:   "未能办理：{reason}。回复“帮助”查看可办事项。",
		Params: []Param{{"reason", Text, 20}}}
	replyHelp = &Template{Name: "reply_help", Purpose: "reply", MaxParts: 1,
		Text:   "求助已收到，社区将在{minutes}分钟内联系您，请保持电话畅通。",
		Params: []Param{{"minutes", Digits, 4}}}
	replyAnswer = &Template{Name: "reply_answer", Purpose: "reply", MaxParts: 1,
		Text:   "已记录您的答复：{answer}。谢谢！",
		Params: []Param{{"answer", Text, 8}}}
	replyCheckedIn = &Template{Name: "reply_checked_in", Purpose: "reply", MaxParts: 1,
		Text:   "{post}签到成功，{time}。离岗时回复“离岗”加当时的码签退。",
		Params: []Param{{"post", Text, 10}, {"time", Clock, 11}}}
	replyCheckedOut = &Template{Name: "reply_checked_out", Purpose: "reply", MaxParts: 1,
		Text:   "{post}签退成功，本次服务{minutes}分钟，谢谢！",
		Params: []Param{{"post", Text, 10}, {"minutes", Digits, 4}}}
	replyStarted = &Template{Name: "reply_started", Purpose: "reply", MaxParts: 1,
		Text: "已恢复短信通知。回复TD可退订。"}
	notice = &Template{Name: "notice", Purpose: "notice", MaxParts: 1,
		Text:   "社区通知：{title}。详情请在小程序通知栏查看或咨询社区。",
		Params: []Param{{"title", Text, 20}}}
	noticeUrgent = &Template{Name: "notice_urgent", Purpose: "notice", MaxParts: 1,
		Text:   "紧急通知：{title}。请立即在小程序通知栏查看，或致电社区。",
		Params: []Param{{"title", Text, 20}}}
)

var catalogue = []*Template{signInCode, signupCode, bookingConfirmed, bookingChanged, bookingWithdrawn, bookingMoved, bookingCancelled, buildingCalled, traceHold, traceReleased, traceOverdue, screeningOverdue, watchStarted, watchEnded, watchAlert, transferNotice, careCheck, roundWindow, temperatureReminder, feverAlert,
	orderUpdate, orderOnTheWay, orderCancelled, orderHandedOver, helpNew, helpOverdue, helpNewHospital, helpOverdueHospital, helpClaimed, volunteerApproved, volunteerCall, volunteerBackup,
	shiftUnfilled, replyKeywords, replyPass, replyUnknown, replyChoose, replyBooked, replyCancelled, replyStatus, replyTemperature, replyMenu,
	replyOrdered, replyRefused, replyHelp, replyAnswer, replyCheckedIn, replyCheckedOut, replyStarted, notice, noticeUrgent}

// SignInCode is the one-time sign-in code.
func SignInCode(code string, minutes int) (Message, error) {
	return fill(signInCode, code, itoa(minutes))
}

// SignupCode is the code that proves the phone a person signs up with.
func SignupCode(code string, minutes int) (Message, error) {
	return fill(signupCode, code, itoa(minutes))
}

// BookingConfirmed tells a resident that staff booked them a test: who
// (members of a household share a phone), when, where and the code to show
// at the site.
func BookingConfirmed(name string, at time.Time, site, code string) (Message, error) {
	return fill(bookingConfirmed, Soften(name), clock(at), site, code)
}

// BookingChanged tells a resident that staff moved their booking.
func BookingChanged(name string, at time.Time, site, code string) (Message, error) {
	return fill(bookingChanged, Soften(name), clock(at), site, code)
}

// BookingWithdrawn tells a resident that staff cancelled their booking.
func BookingWithdrawn(name string, at time.Time) (Message, error) {
	return fill(bookingWithdrawn, Soften(name), clock(at))
}

// BookingMoved tells a resident their site closed and where and when their
// booking is now.
func BookingMoved(closedSite, name, newSite string, at time.Time, code string) (Message, error) {
	return fill(bookingMoved, closedSite, Soften(name), newSite, clock(at), code)
}

// BookingCancelled tells a resident their site closed and no other slot had
// room.
func BookingCancelled(closedSite, name string, at time.Time) (Message, error) {
	return fill(bookingCancelled, closedSite, Soften(name), clock(at))
}

// BuildingCalled calls a building's people down to a site now.
func BuildingCalled(building, site string) (Message, error) {
	return fill(buildingCalled, Soften(building), Soften(site))
}

// TraceHold tells a household of a pooled-positive tube to stay in place
// for single samples at its door.
func TraceHold(door string) (Message, error) { return fill(traceHold, Soften(door)) }

// TraceReleased tells a household its single samples were all negative.
func TraceReleased(door string) (Message, error) { return fill(traceReleased, Soften(door)) }

// TraceOverdue tells staff a trace's single samples are late: the first
// door, how many households and people wait, and by how long.
func TraceOverdue(door string, households, people, late int) (Message, error) {
	return fill(traceOverdue, Soften(door), itoa(min(households, 99)), itoa(min(people, 999)), itoa(min(max(late, 0), 999)))
}

// ScreeningOverdue tells staff a screening list's doors are late: the
// list, how many people wait, and by how long.
func ScreeningOverdue(list string, people, late int) (Message, error) {
	return fill(screeningOverdue, Soften(list), itoa(min(people, 999)), itoa(min(max(late, 0), 999)))
}

// WatchStarted tells a household its people are under a watch: which
// kind, for how many days.
func WatchStarted(door, kind string, days int) (Message, error) {
	return fill(watchStarted, Soften(door), kind, itoa(min(days, 99)))
}

// WatchAlert tells staff a person under watch reported a fever or a
// symptom: who, which door, the window and the reading.
func WatchAlert(name, door, window string, celsius float64, symptoms string) (Message, error) {
	return fill(watchAlert, Soften(name), Soften(door), window, fmt.Sprintf("%.1f", celsius), Soften(symptoms))
}

// TransferNotice tells a person of a transfer when and where to be, where
// they go and what to bring.
func TransferNotice(name string, at time.Time, place, dest string) (Message, error) {
	return fill(transferNotice, Soften(name), clock(at), Soften(place), Soften(dest))
}

// CareCheck asks a person with a care plan to say they are well.
func CareCheck(name string) (Message, error) { return fill(careCheck, Soften(name)) }

// WatchEnded tells a household its watch is over.
func WatchEnded(door, kind string) (Message, error) { return fill(watchEnded, Soften(door), kind) }

// RoundWindow tells a household its building's turn in a round.

func RoundWindow(building string, at time.Time, site string) (Message, error) {
	return fill(roundWindow, Soften(building), clock(at), Soften(site))
}

// TemperatureReminder asks a household to report today's temperatures.
func TemperatureReminder() (Message, error) { return fill(temperatureReminder) }

// FeverAlert tells staff who reported a fever, where they live and how to
// reach them (masked: the full number is in the app).
func FeverAlert(name, address string, celsius float64, phone string) (Message, error) {
	return fill(feverAlert, Soften(name), Soften(address), fmt.Sprintf("%.1f", celsius), maskPhone(phone))
}

// Notice points a resident to a notice in the app: its title only, since a
// notice's free text cannot be sent as a template variable.
func Notice(title string, urgent bool) (Message, error) {
	if urgent {
		return fill(noticeUrgent, title)
	}
	return fill(notice, title)
}

// OrderUpdate tells a household how its order moved: status is one of the
// few words a status reads as (已受理, 正在采购, 已送达).
func OrderUpdate(ref, status string) (Message, error) { return fill(orderUpdate, ref, status) }

// OrderOnTheWay tells a household its order is coming and the code to show
// at the door.
func OrderOnTheWay(ref, doorCode string) (Message, error) { return fill(orderOnTheWay, ref, doorCode) }

// OrderCancelled tells a household its order was cancelled, and why.
func OrderCancelled(ref, reason string) (Message, error) { return fill(orderCancelled, ref, reason) }

// OrderHandedOver tells a household its order was handed over without its
// door code, and why: if it did not arrive, they say so at once.
func OrderHandedOver(ref, reason string) (Message, error) { return fill(orderHandedOver, ref, reason) }

// HelpNew alerts staff on duty to a help request: what, where, who, how to
// reach them (masked: the full number is in the app), and the deadline.
func HelpNew(kind, address, name, phone string, minutes int) (Message, error) {
	return fill(helpNew, kind, Soften(address), Soften(name), maskPhone(phone), itoa(minutes))
}

// HelpOverdue escalates a help request nobody claimed in time.
func HelpOverdue(kind, address, name, phone string, waited int) (Message, error) {
	return fill(helpOverdue, kind, Soften(address), Soften(name), maskPhone(phone), itoa(waited))
}

// HelpNewHospital is HelpNew with the person's designated hospital and its
// 24-hour phone.
func HelpNewHospital(kind, address, name, phone, hospital, hphone string, minutes int) (Message, error) {
	return fill(helpNewHospital, kind, Soften(address), Soften(name), maskPhone(phone), Soften(hospital), hphone, itoa(minutes))
}

// HelpOverdueHospital is HelpOverdue with the designated hospital.
func HelpOverdueHospital(kind, address, name, phone, hospital, hphone string, waited int) (Message, error) {
	return fill(helpOverdueHospital, kind, Soften(address), Soften(name), maskPhone(phone), Soften(hospital), hphone, itoa(waited))
}

// HelpClaimed tells the household that staff took its request.
func HelpClaimed(kind string) (Message, error) { return fill(helpClaimed, kind) }

// VolunteerApproved tells a new volunteer they may sign in.
func VolunteerApproved(name, community string) (Message, error) {
	return fill(volunteerApproved, Soften(name), Soften(community))
}

// VolunteerCall asks an A volunteer to their post's shift; backup asks the
// B when the A declined or did not answer.
func VolunteerCall(name, post string, at time.Time, minutes int, backup bool) (Message, error) {
	t := volunteerCall
	if backup {
		t = volunteerBackup
	}
	return fill(t, Soften(name), Soften(post), clock(at), itoa(minutes))
}

// ShiftUnfilled tells the squad leader and staff that a shift is short.
func ShiftUnfilled(post string, at time.Time, missing int) (Message, error) {
	return fill(shiftUnfilled, Soften(post), clock(at), itoa(missing))
}

// Rebuild makes a catalogue message again from its template's name and
// values, checked as when it was first made: how a message crosses a queue.
func Rebuild(name string, values []string) (Message, error) {
	for _, t := range catalogue {
		if t.Name == name {
			return fill(t, values...)
		}
	}
	return Message{}, fmt.Errorf("%w: no template %q", ErrParam, name)
}

// Replies to SMS keywords (package smsflow). Each fits one part but the
// menu, which may take two.

// ReplyKeywords lists what can be done by SMS.
func ReplyKeywords() (Message, error) { return fill(replyKeywords) }

// ReplyUnknown answers a phone nobody registered.
func ReplyUnknown() (Message, error) { return fill(replyUnknown) }

// ReplyChoose asks which household member is meant.
func ReplyChoose(members, example string) (Message, error) {
	return fill(replyChoose, Soften(members), example)
}

// ReplyBooked confirms a booking made by SMS.
func ReplyBooked(name string, at time.Time, site, code string) (Message, error) {
	return fill(replyBooked, Soften(name), clock(at), Soften(site), code)
}

// ReplyCancelled confirms a cancellation made by SMS.
func ReplyCancelled(name string, at time.Time) (Message, error) {
	return fill(replyCancelled, Soften(name), clock(at))
}

// ReplyStatus answers QUERY: the household's bookings and orders.
func ReplyStatus(bookings, orders string) (Message, error) {
	return fill(replyStatus, Soften(bookings), Soften(orders))
}

// ReplyTemperature confirms a reading; advice is said on a fever.
func ReplyTemperature(name string, celsius float64, advice string) (Message, error) {
	if advice == "" {
		advice = "谢谢配合"
	}
	return fill(replyTemperature, Soften(name), fmt.Sprintf("%.1f", celsius), advice)
}

// ReplyMenu lists what can be ordered, numbered.
func ReplyMenu(menu string) (Message, error) { return fill(replyMenu, Soften(menu)) }

// ReplyOrdered confirms an order made by SMS.
func ReplyOrdered(ref, items string, fen int, doorCode string) (Message, error) {
	return fill(replyOrdered, ref, Soften(items), fmt.Sprintf("%d.%02d", fen/100, fen%100), doorCode)
}

// ReplyRefused says why a keyword could not be acted on.
func ReplyRefused(reason string) (Message, error) { return fill(replyRefused, reason) }

// ReplyHelp confirms a help request made by SMS.
func ReplyHelp(minutes int) (Message, error) { return fill(replyHelp, itoa(minutes)) }

// ReplyAnswer confirms a volunteer's answer to a call.
func ReplyAnswer(answer string) (Message, error) { return fill(replyAnswer, answer) }

// ReplyCheckedIn confirms a volunteer's check-in by SMS.
func ReplyCheckedIn(post string, at time.Time) (Message, error) {
	return fill(replyCheckedIn, Soften(post), clock(at))
}

// ReplyCheckedOut confirms a volunteer's check-out by SMS.
func ReplyCheckedOut(post string, minutes int) (Message, error) {
	return fill(replyCheckedOut, Soften(post), itoa(min(minutes, 9999)))
}

// ReplyStarted confirms that SMS resume after 订阅/START.
func ReplyStarted() (Message, error) { return fill(replyStarted) }

// ReplyPass is the household's gate code, texted on request (通行证).
func ReplyPass(code string) (Message, error) { return fill(replyPass, code) }
