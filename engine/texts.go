package engine

// Texts is the engine's own wording: what it says outside the flows.
// Each may use {{ }} placeholders like flow texts. Empty fields take the
// defaults of DefaultTexts.
type Texts struct {
	OptedOut         string `yaml:"opted_out"`         // after an opt-out keyword
	OptedIn          string `yaml:"opted_in"`          // after an opt-in keyword
	WelcomeBack      string `yaml:"welcome_back"`      // before the start flow after an idle timeout
	Handoff          string `yaml:"handoff"`           // after a human keyword
	Released         string `yaml:"released"`          // when a person hands the contact back to the bot
	LoopGuard        string `yaml:"loop_guard"`        // when the loop guard stops a conversation
	Unsupported      string `yaml:"unsupported"`       // for messages the bot cannot read
	ChoiceInvalid    string `yaml:"choice_invalid"`    // when an answer matches no option
	PhotoReceived    string `yaml:"photo_received"`    // after each photo; {{ count }} {{ max }}
	PhotosNeedMore   string `yaml:"photos_need_more"`  // done word before min photos; {{ min }}
	PhotosReminder   string `yaml:"photos_reminder"`   // text while photos are awaited
	PhotoFailed      string `yaml:"photo_failed"`      // a photo that could not be downloaded
	PhotoEarly       string `yaml:"photo_early"`       // a photo while a question waits for text
	StaleButton      string `yaml:"stale_button"`      // a button of an earlier message tapped at a question
	AgentHint        string `yaml:"agent_hint"`        // after the retries of a question that must be answered
	Greeted          string `yaml:"greeted"`           // a greeting while a question waits
	QuoteQuestion    string `yaml:"quote_question"`    // a quote answered with neither accept nor decline, after the retries
	QuoteExpired     string `yaml:"quote_expired"`     // an acceptance after the quote expired; {{ valid_until }}
	StepFailed       string `yaml:"step_failed"`       // a plugin or extractor failed and the step has no on_error
	ExtractConfirm   string `yaml:"extract_confirm"`   // {{ field }} {{ value }}
	ExtractAskValue  string `yaml:"extract_ask_value"` // {{ field }}
	QuantityCheck    string `yaml:"quantity_check"`    // a number outside confirm_below/confirm_above; {{ value }}
	QuantityRange    string `yaml:"quantity_range"`    // a range answer (30-40); {{ low }} {{ high }}
	AcceptTitle      string `yaml:"accept_title"`
	DeclineTitle     string `yaml:"decline_title"`
	ConsentAccept    string `yaml:"consent_accept"`
	ConsentDecline   string `yaml:"consent_decline"`
	YesTitle         string `yaml:"yes_title"`
	NoTitle          string `yaml:"no_title"`
	MyDataConfirm    string `yaml:"my_data_confirm"`
	MyDataSent       string `yaml:"my_data_sent"`
	EraseConfirm     string `yaml:"erase_confirm"`
	Erased           string `yaml:"erased"`
	RightsCancelled  string `yaml:"rights_cancelled"`
	ExportCancelled  string `yaml:"export_cancelled"`
	RightsByHuman    string `yaml:"rights_by_human"`
	ConsentWithdrawn string `yaml:"consent_withdrawn"`
	NoMarketing      string `yaml:"no_marketing"`       // after "no marketing please"
	LanguageNoted    string `yaml:"language_noted"`     // after "English please"; {{ language }}
	QuoteHeld        string `yaml:"quote_held"`         // a quote waits for the owner's approval
	QuoteHeldWait    string `yaml:"quote_held_wait"`    // a message while the quote waits for approval
	QuoteRevised     string `yaml:"quote_revised"`      // above a quote the owner revised; {{ revision }}
	QuoteReplaced    string `yaml:"quote_replaced"`     // a button of an earlier revision of the quote was tapped
	QuoteReplacedAsk string `yaml:"quote_replaced_ask"` // the question with the latest revision's buttons

	// Never stuck, never silent (never_stuck.go, never_silent.go,
	// questions.go, prefill.go, late_accept.go, repeat.go).
	HandoffAck          string `yaml:"handoff_ack"`            // a message while a person has the conversation (at most hourly)
	HandoffAckAgain     string `yaml:"handoff_ack_again"`      // the same, when the last reply was the acknowledgement
	OptedOutNotice      string `yaml:"opted_out_notice"`       // a message after an opt-out (at most daily)
	OptedOutNoticeAgain string `yaml:"opted_out_notice_again"` // the same, when the last reply was the notice
	OptedInResume       string `yaml:"opted_in_resume"`        // an opt-in that goes back to the waiting question
	OfferPerson         string `yaml:"offer_person"`           // after a question's retries, or going round in circles
	PersonDeclined      string `yaml:"person_declined"`        // "no" to the offer of a person, before the question again
	UnknownSkipped      string `yaml:"unknown_skipped"`        // "I don't know" to an optional question
	UnknownOffer        string `yaml:"unknown_offer"`          // "I don't know" to a required question without unknown:
	PrefillConfirm      string `yaml:"prefill_confirm"`        // a known value put to the customer; {{ value }}
	QuestionPassedOn    string `yaml:"question_passed_on"`     // a question no faq answers, before the waiting question
	QuoteLapsed         string `yaml:"quote_lapsed"`           // "I changed my mind" after the quote expired; {{ valid_until }}
	LanguageUnavailable string `yaml:"language_unavailable"`   // a language the flows do not speak; {{ language }} {{ languages }}
	ChooseButton        string `yaml:"choose_button"`          // the button that opens a list of options
	DoneWord            string `yaml:"done_word"`              // the word that ends photos, shown for the default done_word
	QuoteSubtotal       string `yaml:"quote_subtotal"`
	QuoteDiscount       string `yaml:"quote_discount"`
	QuoteTax            string `yaml:"quote_tax"` // {{ rate }}
	QuoteTotal          string `yaml:"quote_total"`
	QuoteValidUntil     string `yaml:"quote_valid_until"` // {{ date }}
	QuoteGoAhead        string `yaml:"quote_go_ahead"`    // the question under a quote too long for buttons
	AnswerMedia         string `yaml:"answer_media"`      // a media placeholder ([Voice message 0:42]) where text was asked
	ChoiceOther         string `yaml:"choice_other"`      // an answer that fits no option, when one is a catch-all; {{ other }}
	QuoteEmoji          string `yaml:"quote_emoji"`       // an emoji alone (👍) at the quote; {{ total }} {{ accept }}
	AfterEnd            string `yaml:"after_end"`         // a message after the conversation ended (quote accepted or declined)
	AfterEndAgain       string `yaml:"after_end_again"`   // the same, when the last reply was the acknowledgement
}

// DefaultTexts returns the engine's shipped wording.
func DefaultTexts() Texts {
	return Texts{
		OptedOut:         "You're unsubscribed and won't hear from us again. If you change your mind, just send START.",
		OptedIn:          "Welcome back! You're subscribed again.",
		WelcomeBack:      "Welcome back, {{ contact.first_name | default \"friend\" }}! It has been a while, so let's start your request afresh.",
		Handoff:          "Sure, a member of our team will reply here shortly.",
		Released:         "Thanks for your patience! Our assistant is back. Send any message to continue.",
		LoopGuard:        "Sorry, something went wrong on our side. A member of our team will take it from here.",
		Unsupported:      "Sorry, I can only read text messages and photos. Could you send that as text or a photo?",
		ChoiceInvalid:    "Sorry, I didn't catch that. Please pick one of the options (you can also reply with its number).",
		PhotoReceived:    "Got it, photo {{ count }} of up to {{ max }}. Send more, or type *{{ done }}* when you're finished.",
		PhotosNeedMore:   "I need at least {{ min }} photo(s) before we continue. Please send a photo.",
		PhotosReminder:   "Please send a photo (or type *{{ done }}* when you've sent them all).",
		PhotoFailed:      "Sorry, that photo didn't come through. Could you send it again?",
		PhotoEarly:       "Thanks for the photo! I'll ask for photos in a moment. First:",
		StaleButton:      "That button belongs to an earlier message. Please type your answer to this one:",
		AgentHint:        "If you'd rather talk to a person, just send *AGENT*.",
		Greeted:          "Hi again! 👋 Here's where we were:",
		QuoteQuestion:    "Good question! A member of our team will answer you here shortly. Your quote stays open in the meantime.",
		QuoteExpired:     "Sorry, this quote was valid until {{ valid_until }} and has expired, so I can't book that price.",
		StepFailed:       "Sorry, I couldn't work that out automatically. A member of our team will follow up here.",
		ExtractConfirm:   "I read *{{ value }}* for {{ field }}. Is that right?",
		ExtractAskValue:  "No problem. What is the correct {{ field }}?",
		QuantityCheck:    "Just to check: {{ value }}? Reply yes, or send the right size.",
		QuantityRange:    "Which number should I use: {{ low }} or {{ high }}? Please send one number.",
		AcceptTitle:      "Accept",
		DeclineTitle:     "Decline",
		ConsentAccept:    "Yes, I agree",
		ConsentDecline:   "No, thanks",
		YesTitle:         "Yes",
		NoTitle:          "No",
		MyDataConfirm:    "You asked for a copy of the data we hold about you. Shall I send it here as a file?",
		MyDataSent:       "Here is everything we hold about you.",
		EraseConfirm:     "You asked us to delete your data. This removes your details, messages and photos for good (records the law makes us keep stay, without your personal details). Delete everything?",
		Erased:           "Done: your data has been deleted. If you message us again, we'll start fresh.",
		RightsCancelled:  "Okay, nothing was changed.",
		ExportCancelled:  "Okay, I won't send it.",
		RightsByHuman:    "Thanks, a member of our team will handle your request personally.",
		ConsentWithdrawn: "Your consent has been withdrawn and we have stopped processing your details. If you write to us again, we will ask before storing anything.",
		NoMarketing:      "Noted: we won't send you offers or marketing. We'll only write to you about your request.",
		LanguageNoted:    "Sure! I'll write in {{ language }} from now on.",
		QuoteHeld:        "Thanks! A member of our team is checking your quote and will send it here shortly.",
		QuoteHeldWait:    "Your quote is still being checked by our team. We'll send it here shortly.",
		QuoteRevised:     "We've updated your quote (revision {{ revision }}). It replaces the earlier one.",
		QuoteReplaced:    "That quote has been replaced by the updated one above.",
		QuoteReplacedAsk: "Would you like to go ahead with the updated quote?",

		HandoffAck:          "Thanks! Your message is with {{ config.business_name }}; they will reply here.",
		HandoffAckAgain:     "{{ config.business_name }} has all your messages and will answer here as soon as they can.",
		OptedOutNotice:      "You're unsubscribed from {{ config.business_name }}, so we won't write to you. To hear from us again, send START.",
		OptedOutNoticeAgain: "You're still unsubscribed. Send START any time to pick up where you left off.",
		OptedInResume:       "Welcome back! You're subscribed again. Here's where we were:",
		OfferPerson:         "Sorry, I'm not getting this right. Would you like a person from {{ config.business_name }} to help you here?",
		PersonDeclined:      "Okay, let's try again.",
		UnknownSkipped:      "No problem, we'll leave that out.",
		UnknownOffer:        "No problem. Would you like a person from {{ config.business_name }} to help you with this?",
		PrefillConfirm:      "Just to check: *{{ value }}*, right?",
		QuestionPassedOn:    "Good question! I've passed it on to the team, and they'll answer you here. Meanwhile:",
		QuoteLapsed:         "Sorry, that quote was valid until {{ valid_until }} and has expired. A member of our team will send you an up-to-date one here.",
		LanguageUnavailable: "Sorry, I can only write in {{ languages }} for now. I've noted that you'd prefer {{ language }}.",
		ChooseButton:        "Choose",
		DoneWord:            "done",
		QuoteSubtotal:       "Subtotal",
		QuoteDiscount:       "Discount",
		QuoteTax:            "VAT ({{ rate }}%)",
		QuoteTotal:          "Total",
		QuoteValidUntil:     "Valid until {{ date }}.",
		QuoteGoAhead:        "Would you like to go ahead with this quote?",
		AnswerMedia:         "Sorry, I can't open voice messages or attachments here. Could you type your answer?",
		ChoiceOther:         "Sorry, I didn't catch that. Please pick one of the options. If it's none of them, or more than one, choose *{{ other }}*.",
		QuoteEmoji:          "Just to be sure: do you accept the quote of *{{ total }}*? Please reply *yes* or tap *{{ accept }}*.",
		AfterEnd:            "Thanks for your message! A member of our team has your request and will be in touch here. For a quote for another job, just send *new quote*.",
		AfterEndAgain:       "{{ config.business_name }} has your messages and will answer you here. For a quote for another job, send *new quote*.",
	}
}

func (t Texts) withDefaults() Texts {
	d := DefaultTexts()
	fill := func(dst *string, def string) {
		if *dst == "" {
			*dst = def
		}
	}
	fillNeverStuck(&t, d, fill)
	fill(&t.OptedOut, d.OptedOut)
	fill(&t.QuoteHeld, d.QuoteHeld)
	fill(&t.QuoteHeldWait, d.QuoteHeldWait)
	fill(&t.QuoteRevised, d.QuoteRevised)
	fill(&t.QuoteReplaced, d.QuoteReplaced)
	fill(&t.QuoteReplacedAsk, d.QuoteReplacedAsk)
	fill(&t.OptedIn, d.OptedIn)
	fill(&t.WelcomeBack, d.WelcomeBack)
	fill(&t.Handoff, d.Handoff)
	fill(&t.Released, d.Released)
	fill(&t.LoopGuard, d.LoopGuard)
	fill(&t.Unsupported, d.Unsupported)
	fill(&t.ChoiceInvalid, d.ChoiceInvalid)
	fill(&t.PhotoReceived, d.PhotoReceived)
	fill(&t.PhotosNeedMore, d.PhotosNeedMore)
	fill(&t.PhotosReminder, d.PhotosReminder)
	fill(&t.PhotoFailed, d.PhotoFailed)
	fill(&t.PhotoEarly, d.PhotoEarly)
	fill(&t.StaleButton, d.StaleButton)
	fill(&t.AgentHint, d.AgentHint)
	fill(&t.Greeted, d.Greeted)
	fill(&t.QuoteQuestion, d.QuoteQuestion)
	fill(&t.QuoteExpired, d.QuoteExpired)
	fill(&t.StepFailed, d.StepFailed)
	fill(&t.ExtractConfirm, d.ExtractConfirm)
	fill(&t.ExtractAskValue, d.ExtractAskValue)
	fill(&t.QuantityCheck, d.QuantityCheck)
	fill(&t.QuantityRange, d.QuantityRange)
	fill(&t.AcceptTitle, d.AcceptTitle)
	fill(&t.DeclineTitle, d.DeclineTitle)
	fill(&t.ConsentAccept, d.ConsentAccept)
	fill(&t.ConsentDecline, d.ConsentDecline)
	fill(&t.YesTitle, d.YesTitle)
	fill(&t.NoTitle, d.NoTitle)
	fill(&t.MyDataConfirm, d.MyDataConfirm)
	fill(&t.MyDataSent, d.MyDataSent)
	fill(&t.EraseConfirm, d.EraseConfirm)
	fill(&t.Erased, d.Erased)
	fill(&t.RightsCancelled, d.RightsCancelled)
	fill(&t.ExportCancelled, d.ExportCancelled)
	fill(&t.RightsByHuman, d.RightsByHuman)
	fill(&t.ConsentWithdrawn, d.ConsentWithdrawn)
	fill(&t.NoMarketing, d.NoMarketing)
	fill(&t.LanguageNoted, d.LanguageNoted)
	fill(&t.AnswerMedia, d.AnswerMedia)
	fill(&t.ChoiceOther, d.ChoiceOther)
	fill(&t.QuoteEmoji, d.QuoteEmoji)
	fill(&t.AfterEnd, d.AfterEnd)
	fill(&t.AfterEndAgain, d.AfterEndAgain)
	return t
}
