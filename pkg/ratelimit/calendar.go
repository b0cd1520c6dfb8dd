package ratelimit

import (
	"strconv"
	"time"
)

// Calendar is a window measured on the calendar rather than by a fixed
// length.
type Calendar int

// Calendars.
const (
	// NoCalendar: windows of Config.Window, aligned to the Unix epoch.
	NoCalendar Calendar = iota
	// Month: calendar months in UTC, from the first of the month at 00:00.
	Month
)

func (c Calendar) String() string {
	switch c {
	case NoCalendar:
		return "no calendar"
	case Month:
		return "calendar month"
	}
	return "Calendar(" + strconv.Itoa(int(c)) + ")"
}

// windowStart is the start of the window that holds t: epoch-aligned
// multiples of Window (a 24h window is a calendar day in UTC, as Unix time
// has no leap seconds), or the first of t's month in UTC.
func (l *Limiter) windowStart(t time.Time) time.Time {
	if l.cfg.Calendar == Month {
		u := t.UTC()
		return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(l.cfg.Window)
}

// windowEnd is the end of the window that starts at start: the start of the
// next one.
func (l *Limiter) windowEnd(start time.Time) time.Time {
	if l.cfg.Calendar == Month {
		return start.AddDate(0, 1, 0)
	}
	return start.Add(l.cfg.Window)
}

// WindowAt returns the window of c that holds t: its start and its length
// (the calendar month's for Month).
func (c Config) WindowAt(t time.Time) (start time.Time, length time.Duration) {
	l := Limiter{cfg: c}
	start = l.windowStart(t)
	return start, l.windowEnd(start).Sub(start)
}
