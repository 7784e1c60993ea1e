sendHTTPContentTypeHeader("text/html")
print("<html><body>flowgate index for " .. _SESSION["user"] .. "</body></html>")
