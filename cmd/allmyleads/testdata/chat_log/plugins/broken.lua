function quote(ctx)
  error("the price list is missing")
end
