-- ntopng's HTTP print: the first argument only, no newline; "blob" writes one byte.
sendHTTPContentTypeHeader("text/plain")
print("a", "ignored")
print(nil)
print(true)
print("xyz", "blob")
io.write("|", 1, "|")
