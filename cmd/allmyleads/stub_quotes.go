package main

// runQuotes is a placeholder until its issue lands; the owner of this command
// deletes this file and writes quotes.go.
var runQuotes = notYet("quotes")
