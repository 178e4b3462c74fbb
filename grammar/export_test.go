package grammar

// Built reports whether the parser has been built in this process.
func Built() bool { return built.Load() }
