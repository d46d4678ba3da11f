function quote(ctx)
  return { currency = "EUR", items = { { description = "Work", quantity = ctx.project.area_m2, unit_price = 10 } } }
end
