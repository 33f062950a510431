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
	bookingConfirmed = &Template{Name: "booking_confirmed", Purpose: "booking", MaxParts: 1,
		Text:   "社区已为您预约核酸检测：{time}，{site}，预约码{code}，请按时前往。",
		Params: []Param{{"time", Clock, 11}, {"site", Text, 10}, {"code", Code, 6}}}
	bookingMoved = &Template{Name: "booking_moved", Purpose: "booking", MaxParts: 1,
		Text:   "{closed}采样点关闭，您的核酸预约改至{site}，{time}，预约码{code}。",
		Params: []Param{{"closed", Text, 10}, {"site", Text, 10}, {"time", Clock, 11}, {"code", Code, 6}}}
	bookingCancelled = &Template{Name: "booking_cancelled", Purpose: "booking", MaxParts: 1,
		Text:   "{closed}采样点关闭且他处已满，您{time}的核酸预约已取消，请在小程序或回复“预约”重新预约。",
		Params: []Param{{"closed", Text, 10}, {"time", Clock, 11}}}
	temperatureReminder = &Template{Name: "temperature_reminder", Purpose: "temperature", MaxParts: 1,
		Text: "请今日完成体温报备：回复“体温 36.5”或在小程序中填报。"}
	feverAlert = &Template{Name: "fever_alert", Purpose: "temperature", MaxParts: 1,
		Text:   "发热预警：{name}（{address}）报备体温{celsius}℃，电话{phone}，请及时处置。",
		Params: []Param{{"name", Text, 8}, {"address", Text, 14}, {"celsius", Decimal, 4}, {"phone", MaskedPhone, 11}}}
	notice = &Template{Name: "notice", Purpose: "notice", MaxParts: 1,
		Text:   "社区通知：{title}。详情请在小程序通知栏查看或咨询社区。",
		Params: []Param{{"title", Text, 20}}}
	noticeUrgent = &Template{Name: "notice_urgent", Purpose: "notice", MaxParts: 1,
		Text:   "紧急通知：{title}。请立即在小程序通知栏查看，或致电社区。",
		Params: []Param{{"title", Text, 20}}}
)

var catalogue = []*Template{signInCode, bookingConfirmed, bookingMoved, bookingCancelled, temperatureReminder, feverAlert, notice, noticeUrgent}

// SignInCode is the one-time sign-in code.
func SignInCode(code string, minutes int) (Message, error) {
	return fill(signInCode, code, itoa(minutes))
}

// BookingConfirmed tells a resident that staff booked them a test: when,
// where and the code to show at the site.
func BookingConfirmed(at time.Time, site, code string) (Message, error) {
	return fill(bookingConfirmed, clock(at), site, code)
}

// BookingMoved tells a resident their site closed and where and when their
// booking is now.
func BookingMoved(closedSite, newSite string, at time.Time, code string) (Message, error) {
	return fill(bookingMoved, closedSite, newSite, clock(at), code)
}

// BookingCancelled tells a resident their site closed and no other slot had
// room.
func BookingCancelled(closedSite string, at time.Time) (Message, error) {
	return fill(bookingCancelled, closedSite, clock(at))
}

// TemperatureReminder asks a household to report today's temperatures.
func TemperatureReminder() (Message, error) { return fill(temperatureReminder) }

// FeverAlert tells staff who reported a fever, where they live and how to
// reach them (masked: the full number is in the app).
func FeverAlert(name, address string, celsius float64, phone string) (Message, error) {
	return fill(feverAlert, name, address, fmt.Sprintf("%.1f", celsius), maskPhone(phone))
}

// Notice points a resident to a notice in the app: its title only, since a
// notice's free text cannot be sent as a template variable.
func Notice(title string, urgent bool) (Message, error) {
	if urgent {
		return fill(noticeUrgent, title)
	}
	return fill(notice, title)
}
