-- Headers and status set the ntopng way.
sendHTTPContentTypeHeader("text/plain", "attachment; filename=x.txt", "utf-8", { ["X-Extra"] = "1" }, 202)
io.write("accepted", "\n")
