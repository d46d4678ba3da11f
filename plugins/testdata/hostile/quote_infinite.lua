-- want: result
-- call: quote
-- error: quote: invalid quote: items[1].unit_price: must be a finite number
function quote(ctx)
  return { currency = "EUR", items = { { description = "Roof", unit_price = math.huge } } }
end
