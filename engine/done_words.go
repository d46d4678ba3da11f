package engine

import "strings"

// doneWords end a photos step as its done word does, once its minimum is
// met: what customers write when they have sent everything, in the six
// languages. The step's own done word always counts too.
var doneWords = []string{
	"done", "all done", "i'm done", "im done", "i am done", "finished", "finish", "i'm finished", "im finished",
	"that's all", "thats all", "that is all", "that's it", "thats it", "that is it", "that's everything",
	"ok", "okay", "k", "no more", "nothing more", "that's all i have", "sent", "sent them", "sent them all",
	"listo", "ya está", "ya esta", "eso es todo", "terminado", "fertig", "das war's", "das wars", "das ist alles",
	"klaar", "dat is alles", "dat was het", "c'est tout", "fini", "terminé", "termine", "pronto", "é isso", "e isso", "acabei",
}

// politeTails may follow a done word: "that's all, thanks".
var politeTails = []string{"thanks", "thank you", "thx", "cheers", "please", "gracias", "danke", "merci", "dank je", "bedankt", "obrigado", "obrigada"}

// isDoneWord reports whether a message says the customer has sent all
// their photos: the step's done word or one of doneWords, with emoji,
// punctuation and a thank-you around it ignored ("Finished!", "that's
// all, thanks 👍").
func isDoneWord(text, done string) bool {
	a := foldAnswer(text)
	for _, tail := range politeTails {
		if rest, ok := strings.CutSuffix(a, " "+tail); ok {
			a = strings.TrimRight(rest, " ,.!")
			break
		}
	}
	return a != "" && (a == foldAnswer(done) || contains(doneWords, a))
}
