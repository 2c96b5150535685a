// fitting core: to come
