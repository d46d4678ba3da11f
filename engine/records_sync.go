package engine

import "github.com/allmyleads/allmyleads/engine/core"

// The records a business runs on are derived from the conversation's
// variables at commit: lead.* feeds the contact, project.* the project.

func str(vars map[string]any, path string) string {
	v, _ := lookupPath(vars, path)
	s, _ := v.(string)
	return s
}

// contactStatus is where the contact stands in the business's pipeline.
func (t *turn) contactStatus() string {
	s := t.sess
	switch {
	case s.OptedOut:
		return "opted_out"
	case s.Handoff:
		return "handoff"
	case s.Quote != nil && s.Quote.Status == QuoteAccepted:
		return "accepted"
	case s.Quote != nil && s.Quote.Status == QuoteDeclined:
		return "declined"
	case s.Quote != nil:
		return "quoted"
	}
	granted, declined, withdrawn := false, false, false
	if consents, ok := s.Vars["consent"].(map[string]any); ok {
		for _, c := range consents {
			m, _ := c.(map[string]any)
			switch {
			case m["granted"] == true:
				granted = true
			case m["withdrawn"] != nil:
				withdrawn = true
			default:
				declined = true
			}
		}
	}
	switch {
	case withdrawn && !granted:
		return "consent_withdrawn" // processing stopped: do not follow up
	case declined && !granted:
		return "no_consent"
	case str(s.Vars, "lead.name") != "":
		return "details"
	case granted:
		return "consented"
	}
	return "new"
}

func (t *turn) contactRecord() *Contact {
	v := t.sess.Vars
	return &Contact{
		URN:         t.sess.Contact,
		Phone:       phoneOf(t.sess.Contact),
		ProfileName: str(v, "contact.name"),
		Name:        str(v, "lead.name"),
		Email:       str(v, "lead.email"),
		Company:     str(v, "lead.company"),
		Address:     str(v, "lead.address"),
		Language:    t.sess.Language,
		Status:      t.contactStatus(),
		OptedOut:    t.sess.OptedOut,
		NoMarketing: t.sess.NoMarketing,
		Created:     t.sess.Started,
		Updated:     t.now,
		LastInbound: t.sess.LastInbound,
	}
}

func (t *turn) projectRecord() *Project {
	proj, _ := t.sess.Vars["project"].(map[string]any)
	p := &Project{
		ID:          t.sess.ProjectID,
		Contact:     t.sess.Contact,
		Service:     str(t.sess.Vars, "project.service"),
		Description: str(t.sess.Vars, "project.description"),
		Status:      "open",
		Created:     t.sess.Started,
		Updated:     t.now,
	}
	req := map[string]any{}
	for k, v := range proj {
		switch k {
		case "service", "description":
		case "photos":
			list, _ := v.([]any)
			for _, item := range list {
				if m, ok := item.(map[string]any); ok {
					p.Photos = append(p.Photos, Media{ID: str(m, "id"), MIME: str(m, "mime"), SHA256: str(m, "sha256"), Caption: str(m, "caption")})
				}
			}
		case "estimate":
			p.Extracted, _ = v.(map[string]any)
		default:
			req[k] = v
		}
	}
	if len(req) > 0 {
		p.Requirements = req
	}
	if q := t.sess.Quote; q != nil {
		switch q.Status {
		case QuoteAccepted, QuoteDeclined:
			p.Status = q.Status
		default:
			p.Status = "quoted"
		}
	}
	return p
}

// phoneOf is the E.164 number of a contact URN, or "" for one without.
func phoneOf(urn string) string {
	p, _ := core.URNPhone(urn)
	return p
}
