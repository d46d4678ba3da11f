-- want: result
-- call: quote
-- error: quote: returned a table without items; a pricing function must return a quote
function quote(ctx)
  return { currency = "EUR", total = 100 }
end
