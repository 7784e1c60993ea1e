return { hooks = {}, my_custom_key = 1 }
