package main

// runCorrect is a placeholder until its issue lands; the owner of this command
// deletes this file and writes correct.go.
var runCorrect = notYet("correct")
