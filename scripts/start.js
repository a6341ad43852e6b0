// Placeholder until the portal lands: `npm start` must not fail.
console.log('confi: portal coming soon; meanwhile try `npx confi --help`')
