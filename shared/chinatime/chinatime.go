// Package chinatime is the time zone answers are given in: communities run on
// Beijing time (UTC+8 all year, no daylight saving), so a fixed zone serves and
// no tzdata is needed in the Lambda image.
package chinatime

import "time"

// Zone is Beijing time.
var Zone = time.FixedZone("CST", 8*3600)

// In returns t in Beijing time, to the second.
func In(t time.Time) time.Time { return t.Truncate(time.Second).In(Zone) }

// Midnight is the start of t's day in Beijing.
func Midnight(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}
