-- wrk script: POST a small form to the bare view, as the webhook gets one.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "MessageSid=SM00000000000000000000000000000000&From=%2B12025550142&Body=Hi"
