/** The start-up anchor: a Worker that answers at once and imports nothing. */
export default {
  fetch(): Response {
    return new Response('hello');
  },
};
