package commands

// RenameCommand is m as an install answering the slash command to sends it.
func RenameCommand(m Message, to string) Message { return renamed{to: to}.message(m) }
