package main

// runQuote is a placeholder until its issue lands; the owner of this command
// deletes this file and writes quote.go.
var runQuote = notYet("quote")
