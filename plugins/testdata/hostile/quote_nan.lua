-- want: result
-- call: quote
-- error: quote: invalid quote: items[1].quantity: must be a finite number
function quote(ctx)
  local area = ctx.project.area_m2 or 0
  return { currency = "EUR", items = { { description = "Roof", quantity = area / 0 * 0, unit_price = 50 } } }
end
