package core

// MarketingAllowed says whether a message marked as marketing (a flow's
// follow-up with marketing: true) may be sent to the contact whose
// session this is: not after an objection to direct marketing (NO
// MARKETING, kept on the session and the contact record, shown in the
// export), and not to an opted-out contact. The timers that send
// follow-ups ask it when they fire, so an objection made after a
// follow-up was planned still stops it.
func MarketingAllowed(s *Session) bool {
	return s != nil && s.NoMarketing.IsZero() && !s.OptedOut
}
