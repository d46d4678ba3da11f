package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// QuietHours is a daily span of the business's local time in which the bot
// sends no reminder and moves no conversation on by itself: a timer due in
// it fires when it ends. From after To spans midnight (21:00-08:00). The
// zero value is off.
type QuietHours struct {
	From, To time.Duration // time of day, from local midnight
}

var quietRE = regexp.MustCompile(`^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$`)

// ParseQuietHours reads "21:00-08:00"; "" is off.
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "" {
		return QuietHours{}, nil
	}
	m := quietRE.FindStringSubmatch(s)
	if m == nil {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, e.g. 21:00-08:00", s)
	}
	at := func(h, min string) (time.Duration, error) {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(min)
		if hh > 23 || mm > 59 {
			return 0, fmt.Errorf("quiet hours %q: %s:%s is not a time of day", s, h, min)
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
	}
	from, err := at(m[1], m[2])
	if err != nil {
		return QuietHours{}, err
	}
	to, err := at(m[3], m[4])
	if err != nil {
		return QuietHours{}, err
	}
	if from == to {
		return QuietHours{}, fmt.Errorf("quiet hours %q: start and end are the same time", s)
	}
	return QuietHours{From: from, To: to}, nil
}

// On says whether quiet hours are configured.
func (q QuietHours) On() bool { return q.From != q.To }

// String writes the span as ParseQuietHours reads it.
func (q QuietHours) String() string {
	if !q.On() {
		return ""
	}
	hm := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return hm(q.From) + "-" + hm(q.To)
}

// Until returns when the quiet hours that t falls in end, in loc, or t
// itself when t is outside them.
func (q QuietHours) Until(t time.Time, loc *time.Location) time.Time {
	if !q.On() {
		return t
	}
	local := t.In(loc)
	y, mo, d := local.Date()
	of := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	end := func(dayOffset int) time.Time {
		return time.Date(y, mo, d+dayOffset, int(q.To/time.Hour), int(q.To%time.Hour/time.Minute), 0, 0, loc).UTC()
	}
	if q.From < q.To {
		if of >= q.From && of < q.To {
			return end(0)
		}
		return t
	}
	switch {
	case of >= q.From:
		return end(1)
	case of < q.To:
		return end(0)
	}
	return t
}
